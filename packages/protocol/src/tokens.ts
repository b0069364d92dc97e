import { z } from 'zod';
import { Id } from './ids.ts';

/** Issuer of every Visita token; each token kind has its own audience, so one cannot pass for another. */
export const TOKEN_ISSUER = 'visita';
export const Audience = {
  PRACTITIONER: 'visita:practitioner',
  PATIENT: 'visita:patient',
  SFU_CONTROL: 'visita:sfu-control',
} as const;
export type Audience = (typeof Audience)[keyof typeof Audience];

export const PractitionerClaims = z.object({
  kind: z.literal('practitioner'),
  sub: Id,
  name: z.string().max(120),
  /** `ops` accounts also see every practitioner's data (usage, audit). */
  role: z.enum(['practitioner', 'ops']),
});
export type PractitionerClaims = z.infer<typeof PractitionerClaims>;

/** A patient link's token: scoped to exactly one consultation. */
export const PatientClaims = z.object({
  kind: z.literal('patient'),
  sub: Id,
  consultationId: Id,
  /** Link version: revoking a consultation's links bumps its version, and older links are refused. */
  v: z.number().int().nonnegative().default(0),
});
export type PatientClaims = z.infer<typeof PatientClaims>;

/** Signaling's token when it opens the control connection to an SFU node. */
export const SfuControlClaims = z.object({ kind: z.literal('sfu-control'), sub: Id });
export type SfuControlClaims = z.infer<typeof SfuControlClaims>;
