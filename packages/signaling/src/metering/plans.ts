import { z } from 'zod';

/** A pricing plan, assigned per practitioner, configured as JSON (no code change). */
export const Plan = z.object({
  id: z.string().min(1).max(64),
  currency: z.string().length(3).default('EUR'),
  /** Price per minute in cents (of the currency). */
  pricePerMinuteCents: z.number().int().nonnegative(),
  rounding: z.enum(['per_second', 'per_started_minute']),
  includedMinutesPerMonth: z.number().int().nonnegative().default(0),
});
export type Plan = z.infer<typeof Plan>;

/** Billed seconds of one consultation under the plan's rounding rule. */
export function roundSeconds(billableMs: number, plan: Plan): number {
  const seconds = Math.floor(billableMs / 1000);
  return plan.rounding === 'per_second' ? seconds : Math.ceil(seconds / 60) * 60;
}

/** The amount for a period: billed seconds summed, included minutes deducted, priced per second. */
export function priceForPeriod(billedSeconds: number, plan: Plan): { chargeableSeconds: number; amountCents: number } {
  const chargeableSeconds = Math.max(0, billedSeconds - plan.includedMinutesPerMonth * 60);
  return { chargeableSeconds, amountCents: Math.round((chargeableSeconds * plan.pricePerMinuteCents) / 60) };
}
