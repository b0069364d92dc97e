import { z } from 'zod';
import type { AccountRole } from './ids.ts';
import type { ConsultationState, ConsultationView } from './client.ts';

// Client <-> signaling over HTTP (`/api/...`): the bodies of login, two-factor authentication and
// sessions, consultations, usage and audit. Every answer is an Ack (errors.ts); the server validates
// each body with these schemas; the web client, the server and the tests use these types.

/** RFC 6238 as every authenticator app does it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP = { algorithm: 'SHA1', digits: 6, periodS: 30, issuer: 'Visita' } as const;
/** How long the second step of a login may wait after the password step. */
export const LOGIN_CHALLENGE_TTL_S = 5 * 60;
/** Codes tried on one login challenge (right or wrong); past it, log in again. */
export const MAX_CHALLENGE_ATTEMPTS = 5;
/** One-time recovery codes handed out when two-factor authentication is enabled. */
export const RECOVERY_CODE_COUNT = 10;
/** A recovery code: 10 characters of Crockford's base32 (50 random bits), shown as `xxxxx-xxxxx`. */
export const RECOVERY_CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Case, spaces and dashes do not matter in a code typed by hand. */
const normalized = (s: string): string => s.replace(/[\s-]/g, '').toLowerCase();
export const TotpCode = z
  .string()
  .max(20)
  .transform(normalized)
  .pipe(z.string().regex(/^\d{6}$/, 'expected a 6-digit code'));
export const RecoveryCode = z
  .string()
  .max(40)
  .transform(normalized)
  .pipe(z.string().regex(/^[0-9a-hjkmnp-tv-z]{10}$/, 'expected a recovery code'));
/** What the second step accepts: the authenticator's current code or an unused recovery code. */
export const SecondFactorCode = z.union([TotpCode, RecoveryCode]);
export const isTotpCode = (normalizedCode: string): boolean => /^\d{6}$/.test(normalizedCode);

/** A remembered device's token (given with a session): its logins have their own limits. */
export const DeviceToken = z.string().regex(/^[A-Za-z0-9_.-]{20,300}$/);
export const LoginRequest = z.object({
  email: z.string().email().max(200),
  password: z.string().min(1).max(200),
  deviceToken: DeviceToken.optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;
export const LoginSecondStepRequest = z.object({
  challenge: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/),
  code: SecondFactorCode,
  deviceToken: DeviceToken.optional(),
});
export type LoginSecondStepRequest = z.input<typeof LoginSecondStepRequest>;

/** `POST /api/2fa/enable`: the first code of the authenticator, against the pending secret. */
export const TwoFactorEnableRequest = z.object({ code: TotpCode });
/** `POST /api/2fa/disable`: a current code or a recovery code. */
export const TwoFactorDisableRequest = z.object({ code: SecondFactorCode });

export interface PractitionerView {
  id: string;
  name: string;
  role: AccountRole;
}

/** A session (login, second step, refresh). */
export interface SessionGrant {
  token: string;
  refreshToken: string;
  practitioner: PractitionerView;
  /** The session ends after this long without activity: the client logs out, the refresh token expires. */
  idleTimeoutS: number;
  /** After a login: this device's token, to send with the next logins of this email (their own limits). */
  deviceToken?: string;
}

/** The password was right; the session comes with `POST /api/login/2fa { challenge, code }`. */
export interface SecondFactorRequired {
  twoFactorRequired: true;
  /** Opaque, single use, valid LOGIN_CHALLENGE_TTL_S; not a token: nothing else accepts it. */
  challenge: string;
}

/** `POST /api/login`. */
export type LoginResponse = SessionGrant | SecondFactorRequired;
export { needsSecondFactor } from './browser.ts';

/** `GET /api/ops/status` (role ops): the live picture ops watch during a surge. */
export interface OpsStatus {
  at: number;
  /** Every SFU node with a fresh heartbeat: state, workers, load against capacity, CPU (the workers' CPU time over the last heartbeat, in cores). */
  nodes: Array<{
    nodeId: string;
    state: 'serving' | 'draining';
    workers: number;
    rooms: number;
    consumers: number;
    maxConsumers: number;
    cpu: number;
    /** Network tests (pre-call) it holds; not calls. */
    probes?: number;
    /** Each worker: its process, calls, consumers (its capacity: maxConsumers / workers), CPU in cores. */
    perWorker?: Array<{ pid: number; rooms: number; consumers: number; cpu: number }>;
    /** How old its heartbeat is. */
    ageMs: number;
  }>;
  callsInProgress: number;
  /** Admissions waiting for a node with room. */
  admissionsWaiting: number;
  waiting: {
    total: number;
    /** The practitioners with the most patients waiting (at most 50). */
    practitioners: Array<{ practitionerId: string; name: string | null; waiting: number; longestWaitMs: number }>;
  };
  /** The autoscaler's last status (null: none running, or stale). */
  autoscaler: { desired: number; serving: number; starting: number; readyAt: number | null; atMax: boolean } | null;
}

/** `GET /api/2fa`. */
export interface TwoFactorStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}
/** `POST /api/2fa/setup`: a new secret, pending until enabled; shown to be scanned or typed. */
export interface TwoFactorSetup {
  secret: string;
  uri: string;
}
/** `POST /api/2fa/enable`: the recovery codes, shown once (only their hashes are kept). */
export interface TwoFactorEnabled {
  recoveryCodes: string[];
}

// ---- Consultations, usage and audit (`api/http.ts`, `api/usage.ts`; docs/openapi.yaml) ----

/** `POST /api/consultations` (201): the consultation and its patient link (the token rides in the URL fragment). */
export interface CreatedConsultation {
  consultationId: string;
  state: ConsultationState;
  scheduledAt: number | null;
  patientToken: string;
  patientLink: string;
}
/** `POST /api/consultations/:id/link` (201): a fresh patient link. */
export interface ConsultationLink {
  consultationId: string;
  patientToken: string;
  patientLink: string;
}
/** `POST /api/consultations/:id/revoke`: every link issued so far is refused. */
export interface RevokedLinks {
  revoked: true;
  linkVersion: number;
}
/**
 * `GET /api/link` with the patient token as bearer: whether the link still opens its consultation,
 * checked when the patient opens it (before the device check). A dead link says why.
 */
export type PatientLinkStatus =
  | { status: 'open'; consultationId: string; state: ConsultationState }
  | { status: 'ended' | 'expired' | 'revoked' | 'invalid' };
/** `GET /api/consultations`: the practitioner's most recent consultations. */
export interface ConsultationList {
  consultations: ConsultationView[];
}
/** `POST /api/logout`. */
export interface LoggedOut {
  loggedOut: true;
}

/** A billable stretch of a consultation (epoch ms). */
export interface UsageInterval {
  start: number;
  end: number;
}
/** One consultation's usage, recomputed from its whole event history on every new event. */
export interface UsageRecord {
  consultationId: string;
  practitionerId: string;
  /** Billing period, `YYYY-MM` (UTC) of the first billable moment. */
  period: string;
  billableMs: number;
  billedSeconds: number;
  planId: string;
  intervals: UsageInterval[];
  /** Ended (final), or still open / bounded by its last heartbeat. */
  complete: boolean;
  endedAt: number;
}
/** One practitioner's usage in a period, priced by their plan. */
export interface PractitionerUsage {
  practitionerId: string;
  period: string;
  planId: string;
  currency: string;
  consultations: UsageRecord[];
  billedSeconds: number;
  chargeableSeconds: number;
  amountCents: number;
}
/** `GET /api/usage?period=YYYY-MM` (JSON). */
export interface UsageReport {
  period: string;
  practitioners: PractitionerUsage[];
}

export const AuditAction = {
  CHECKED_IN: 'checked_in',
  ADMITTED: 'admitted',
  DECLINED: 'declined',
  JOINED_MEDIA: 'joined_media',
  MESSAGE_SENT: 'message_sent',
  EXPIRED: 'expired',
  ENDED: 'ended',
  /** The call's media moved to another SFU node (its node or worker was lost). */
  MEDIA_MOVED: 'media_moved',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** One audit record: who did what to which consultation, ids only. */
export interface AuditRecordView {
  /** Stable, ordered id (the Redis stream id). */
  id: string;
  action: AuditAction;
  actorRole: 'patient' | 'practitioner' | 'system';
  actorId: string;
  consultationId: string;
  practitionerId: string;
  at: number;
  instanceId: string;
}
/** `GET /api/audit` (JSON). */
export interface AuditList {
  records: AuditRecordView[];
}
