import type express from 'express';
import { z } from 'zod';
import {
  ErrorCode,
  Id,
  fail,
  ok,
  type PractitionerClaims,
  type PractitionerUsage,
  type UsageReport,
} from '@visita/protocol';
import type { PlanBook } from '../metering/PlanBook.ts';
import { priceForPeriod } from '../metering/plans.ts';
import type { UsageStore } from '../metering/UsageStore.ts';

const UsageQuery = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'period must be YYYY-MM'),
  practitionerId: Id.optional(),
  format: z.enum(['json', 'csv', 'meter-events']).default('json'),
});

export type { PractitionerUsage };

/** The stable name of the usage meter, as a Stripe meter would be configured. */
export const METER_EVENT_NAME = 'visita_consultation_seconds';

async function usageOf(
  usage: UsageStore,
  plans: PlanBook,
  practitionerId: string,
  period: string,
): Promise<PractitionerUsage> {
  const consultations = await usage.forPractitioner(practitionerId, period);
  const plan = await plans.of(practitionerId);
  const billedSeconds = consultations.reduce((s, r) => s + r.billedSeconds, 0);
  return {
    practitionerId,
    period,
    planId: plan.id,
    currency: plan.currency,
    consultations,
    billedSeconds,
    ...priceForPeriod(billedSeconds, plan),
  };
}

const CSV_COLUMNS = 'consultation_id,practitioner_id,period,plan_id,billable_ms,billed_seconds,complete,ended_at';
export function usageCsv(all: readonly PractitionerUsage[]): string {
  const rows = all.flatMap((u) =>
    u.consultations.map((r) =>
      [
        r.consultationId,
        r.practitionerId,
        r.period,
        r.planId,
        r.billableMs,
        r.billedSeconds,
        r.complete,
        new Date(r.endedAt).toISOString(),
      ].join(','),
    ),
  );
  return `${[CSV_COLUMNS, ...rows].join('\r\n')}\r\n`;
}

/**
 * Stripe-style meter events, one JSON line per completed consultation. The identifier is derived
 * from the consultation only, so re-sending an export can never bill twice; open consultations are
 * left out until they end (their value could still change).
 */
export function meterEvents(all: readonly PractitionerUsage[]): string {
  return `${all
    .flatMap((u) => u.consultations.filter((r) => r.complete && r.billedSeconds > 0))
    .map((r) =>
      JSON.stringify({
        event_name: METER_EVENT_NAME,
        identifier: `visita-consultation-${r.consultationId}`,
        timestamp: Math.floor(r.endedAt / 1000),
        payload: { stripe_customer_id: r.practitionerId, value: String(r.billedSeconds) },
      }),
    )
    .join('\n')}\n`;
}

/** GET /api/usage: a practitioner's own usage for a period; ops everyone's, or one practitioner's. */
export function usageRoutes(
  app: express.Express,
  auth: express.RequestHandler,
  usage: UsageStore,
  plans: PlanBook,
): void {
  app.get('/api/usage', auth, async (req, res, next) => {
    try {
      const q = UsageQuery.safeParse(req.query);
      if (!q.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, q.error.issues[0]?.message ?? 'invalid query'));
      const me = res.locals['practitioner'] as PractitionerClaims;
      if (q.data.practitionerId && q.data.practitionerId !== me.sub && me.role !== 'ops') {
        return void res.status(403).json(fail(ErrorCode.FORBIDDEN, 'only ops can read another practitioner’s usage'));
      }
      const who =
        me.role === 'ops'
          ? q.data.practitionerId
            ? [q.data.practitionerId]
            : await usage.practitioners(q.data.period)
          : [me.sub];
      const all = await Promise.all(who.map((id) => usageOf(usage, plans, id, q.data.period)));
      if (q.data.format === 'csv')
        return void res.type('text/csv').attachment(`visita-usage-${q.data.period}.csv`).send(usageCsv(all));
      if (q.data.format === 'meter-events')
        return void res
          .attachment(`visita-meter-events-${q.data.period}.jsonl`)
          .type('application/x-ndjson')
          .send(meterEvents(all));
      res.json(ok<UsageReport>({ period: q.data.period, practitioners: all }));
    } catch (e) {
      next(e);
    }
  });
}
