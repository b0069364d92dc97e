import { z } from 'zod';
import { AccountRole, Id } from './ids.ts';

/** Issuer of every Visita token; each token kind has its own audience, so one cannot pass for another. */
export const TOKEN_ISSUER = 'visita';
export const Audience = {
  PRACTITIONER: 'visita:practitioner',
  PATIENT: 'visita:patient',
  /** The prefix of an SFU control token's audience: each token names one node (sfuControlAudience). */
  SFU_CONTROL: 'visita:sfu-control',
} as const;
export type Audience = (typeof Audience)[keyof typeof Audience];

/** An SFU control token is good for one node only, so a token sent to the wrong listener opens no other node. */
export const sfuControlAudience = (nodeId: string): string => `${Audience.SFU_CONTROL}:${nodeId}`;
/** Lifetime of an SFU control token: one is signed for each (re)connection, so it only has to outlive the handshake. */
export const SFU_CONTROL_TOKEN_TTL_S = 60;
/**
 * How far in the future a node accepts an SFU control token's issue date (clock difference between
 * signaling and the node). jsonwebtoken only checks that a token is not too old (`maxAge` counts
 * from `iat`), so one dated years ahead, with its `exp` a minute after that, would open the node
 * for years: both dates are bounded here.
 */
export const SFU_CONTROL_MAX_SKEW_S = 60;

/**
 * Why an SFU control token's dates are refused, or null when they are fine: issued more than
 * SFU_CONTROL_MAX_SKEW_S ahead of `nowS`, or made to live longer than SFU_CONTROL_TOKEN_TTL_S
 * (`exp - iat`). Expiry and age are jsonwebtoken's (`exp`, `maxAge`).
 */
export function sfuControlDatesProblem(claims: { iat: number; exp: number }, nowS: number): string | null {
  if (claims.iat > nowS + SFU_CONTROL_MAX_SKEW_S) return 'issued in the future';
  if (claims.exp - claims.iat > SFU_CONTROL_TOKEN_TTL_S) return 'lives longer than a control token';
  return null;
}

export const PractitionerClaims = z.object({
  kind: z.literal('practitioner'),
  sub: Id,
  name: z.string().max(120),
  role: AccountRole,
  /** The login session this token belongs to: logging out refuses every token of the session. */
  sid: Id,
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

/** Signaling's token when it opens the control connection to an SFU node: always dated and expiring. */
export const SfuControlClaims = z.object({
  kind: z.literal('sfu-control'),
  sub: Id,
  iat: z.number().int(),
  exp: z.number().int(),
});
export type SfuControlClaims = z.infer<typeof SfuControlClaims>;
