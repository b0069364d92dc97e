import { RedisEnv, redisEndpoint, type RedisEndpoint } from '@visita/protocol/redis';
import { z } from 'zod';
import { Id, PROBE_MAX_TTL_MS, TURN_RENEW_MS } from '@visita/protocol';
import { Plan } from './metering/plans.ts';
import { DEFAULT_PROBE_TTL_MS, DEFAULT_PROBES_PER_PRACTITIONER } from './usecases/NetworkProbes.ts';
import type { TurnConfig } from './turn.ts';

// Signaling's whole configuration, read from the environment here only, validated at start-up
// with every problem listed, then passed down frozen.
const Env = z.object({
  VISITA_SIGNALING_HOST: z.string().default('127.0.0.1'),
  /** Prometheus metrics on this internal port (absent: not served), on VISITA_METRICS_HOST. */
  VISITA_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VISITA_METRICS_HOST: z.string().default('127.0.0.1'),
  VISITA_SIGNALING_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  VISITA_INSTANCE_ID: Id.default(`sig-${process.pid}`),
  ...RedisEnv,
  /** One signing key (key id `k1`)... */
  VISITA_JWT_SECRET: z.string().min(32, 'VISITA_JWT_SECRET must be at least 32 characters').optional(),
  /** ...or several, for rotation: `kid:secret,kid:secret`, the first one signs. */
  VISITA_JWT_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,32}:[^,:]{32,}(,[A-Za-z0-9_-]{1,32}:[^,:]{32,})*$/,
      'VISITA_JWT_KEYS must be kid:secret[,kid:secret...] with secrets of at least 32 characters',
    )
    .optional(),
  VISITA_SFU_SECRET: z.string().min(16, 'VISITA_SFU_SECRET must be at least 16 characters'),
  /** Base URL of the web client, used to build patient links. */
  VISITA_PUBLIC_URL: z.string().url().default('https://localhost:8443'),
  /** The practice's name, shown to patients in the waiting room (none: not shown). */
  VISITA_PRACTICE_NAME: z.string().trim().min(1).max(80).optional(),
  VISITA_PATIENT_LINK_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(24 * 3600),
  VISITA_ACCESS_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(24 * 3600)
    .default(15 * 60),
  VISITA_REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 24 * 3600)
    .default(30 * 24 * 3600),
  /** Automatic logoff: a practitioner's session ends after this long without activity (the refresh token expires unused). */
  VISITA_IDLE_TIMEOUT_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(24 * 3600)
    .default(900),
  /**
   * Seals secrets at rest (TOTP secrets: AES-256-GCM, key from HKDF-SHA-256). Optional: without it,
   * the key is derived from the first JWT key (so keep that key listed when rotating, or set this).
   */
  VISITA_DATA_KEY: z.string().min(32, 'VISITA_DATA_KEY must be at least 32 characters').optional(),
  /** Failed logins allowed per email and address within 15 minutes. */
  VISITA_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Failed logins allowed per address, whatever the email, within 15 minutes. */
  VISITA_LOGIN_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).default(30),
  /**
   * Failed logins allowed per email from addresses that never logged in to it, within 15 minutes;
   * past it, only addresses that logged in successfully before may try (the owner is never locked out).
   */
  VISITA_LOGIN_ACCOUNT_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).default(100),
  /**
   * Wrong second-factor codes an account takes in 24 h from the devices it was not remembered on
   * (and each remembered device, apart). 10 a day: with the password known, a guesser's odds of a
   * valid code (3 of 10^6 at a time) stay below 3·10^-5 a day, 1.1 % a year.
   */
  VISITA_2FA_CODE_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Proxies whose X-Forwarded-For is believed: `loopback`, addresses or CIDRs, comma-separated; none by default. */
  VISITA_TRUSTED_PROXIES: z
    .string()
    .default('')
    .refine(
      (v) =>
        v.split(',').every((p) => /^$|^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p.trim())),
      'VISITA_TRUSTED_PROXIES must list addresses, CIDRs or loopback',
    ),
  /** Check-ins (joins) allowed per patient link per minute. */
  VISITA_CHECKIN_RATE: z.coerce.number().int().min(1).max(10_000).default(30),
  /** Network tests (pre-call checks) allowed per patient link or practitioner per 10 minutes. */
  VISITA_PROBE_RATE: z.coerce.number().int().min(1).max(10_000).default(10),
  /**
   * Patient link checks (`GET /api/link`, unauthenticated) allowed per client address per minute.
   * The patient page asks once when it opens (and takes a refusal as "open"): 60 covers a whole
   * practice's patients behind one address opening their links within the same minute.
   */
  VISITA_LINK_RATE: z.coerce.number().int().min(1).max(100_000).default(60),
  /**
   * Consultations one account may create per hour. A busy practitioner sees 4 to 6 patients an
   * hour and books ahead one appointment at a time; a day's 40 imported at once still fits.
   */
  VISITA_CONSULTATION_RATE: z.coerce.number().int().min(1).max(100_000).default(100),
  /**
   * Consultations one account may hold open (scheduled, waiting or in a call) at once. A
   * consultation nobody ends stays open 30 days (retention): two weeks of 40 a day booked ahead
   * and a month of no-shows stay under 500.
   */
  VISITA_OPEN_CONSULTATIONS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /**
   * Network tests a practitioner's consultations may run at once, every instance together: a
   * quarter of a media node's 64, so one practice's links cannot take every test of a node.
   */
  VISITA_PROBES_PER_PRACTITIONER: z.coerce.number().int().min(1).max(1_000).default(DEFAULT_PROBES_PER_PRACTITIONER),
  /** How long a media node keeps a network test (the node closes it then, whatever signaling does). */
  VISITA_PROBE_TTL_MS: z.coerce.number().int().min(1_000).max(PROBE_MAX_TTL_MS).default(DEFAULT_PROBE_TTL_MS),
  /** Multiplies every per-socket request budget (socketBudgets.ts): above 1 for load tests or trusted clients. */
  VISITA_SOCKET_RATE_SCALE: z.coerce.number().min(0.1).max(1000).default(1),
  /** How long a connection counts as present without its instance's heartbeat. */
  VISITA_PRESENCE_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** How long a disconnected participant keeps their place (waiting) or their media (in a call). */
  VISITA_RECONNECT_GRACE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /** How long the audit log is kept in Redis (export it with GET /api/audit for longer archives). */
  VISITA_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30).max(3650).default(400),
  /** Metering heartbeats of calls in progress: what bounds billing if every instance crashes. */
  VISITA_METERING_HEARTBEAT_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  /**
   * Replicas a metering fact or audit record must reach before it counts (WAIT): a failover then
   * cannot lose it. Default: 1 through Sentinel (VISITA_REDIS_SENTINELS), else 0.
   */
  VISITA_REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(5).optional(),
  VISITA_REDIS_WAIT_MS: z.coerce.number().int().min(10).max(3_000).default(1_000),
  /** Pricing plans as JSON (see metering/plans.ts); the first is the default for practitioners without one. */
  VISITA_PLANS: z
    .string()
    .default(
      '[{"id":"standard","currency":"EUR","pricePerMinuteCents":100,"rounding":"per_second","includedMinutesPerMonth":0}]',
    ),
  /**
   * TURN servers handed to browsers with their transports (comma-separated `turn:`/`turns:` URLs,
   * e.g. `turn:203.0.113.5:3478?transport=udp,turn:203.0.113.5:3478?transport=tcp`), with
   * credentials made from VISITA_TURN_SECRET (coturn's `static-auth-secret`) that expire after
   * VISITA_TURN_TTL_S; none: browsers reach the media servers directly only.
   */
  VISITA_TURN_URLS: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v.split(',').every((u) => /^turns?:[^\s,]+$/.test(u.trim())),
      'VISITA_TURN_URLS must be comma-separated turn: or turns: URLs',
    ),
  VISITA_TURN_SECRET: z.string().min(16, 'VISITA_TURN_SECRET must be at least 16 characters').optional(),
  /**
   * How long TURN credentials may make allocations. Only that: an allocation made with them lives on
   * after they expire (coturn checks a credential once, when its connection's first allocation is
   * made; turnRelay.test.ts), and a page in a call asks for fresh ones every TURN_RENEW_MS
   * (`media:iceServers`) for the allocations it makes later. So: a few renewals' worth, at least two,
   * and never as long as a call could be left to outlive its consultation (at most an hour).
   */
  VISITA_TURN_TTL_S: z.coerce
    .number()
    .int()
    .min((2 * TURN_RENEW_MS) / 1000)
    .max(3_600)
    .default(900),
  /** `relay`: browsers send media only through TURN (needs VISITA_TURN_URLS). */
  VISITA_ICE_TRANSPORT_POLICY: z.enum(['all', 'relay']).default('all'),
  VISITA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SignalingConfig {
  readonly host: string;
  readonly port: number;
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
  readonly instanceId: string;
  /** Its Redis: one server, or a primary through Sentinel (`VISITA_REDIS_*`, @visita/protocol/redis). */
  readonly redis: RedisEndpoint;
  readonly jwtKeys: ReadonlyArray<{ readonly kid: string; readonly secret: string }>;
  readonly sfuSecret: string;
  readonly publicUrl: string;
  readonly patientLinkTtlS: number;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly idleTimeoutS: number;
  readonly dataKey: string | undefined;
  readonly loginAttempts: number;
  readonly loginAddressAttempts: number;
  readonly loginAccountAttempts: number;
  readonly codeAttempts: number;
  readonly trustedProxies: readonly string[];
  readonly socketRateScale: number;
  readonly auditRetentionDays: number;
  readonly checkinRate: number;
  readonly probeRate: number;
  readonly probeTtlMs: number;
  readonly probesPerPractitioner: number;
  readonly linkRate: number;
  readonly consultationRate: number;
  readonly maxOpenConsultations: number;
  readonly presenceTtlMs: number;
  readonly reconnectGraceMs: number;
  readonly plans: readonly Plan[];
  readonly meteringHeartbeatMs: number;
  /** Metering facts and audit records: copied to this many replicas before they count (see DurableWrites). */
  readonly durable: { readonly replicas: number; readonly waitMs: number };
  readonly logLevel: string;
  readonly turn: TurnConfig | undefined;
  readonly practiceName: string | null;
  readonly iceTransportPolicy: 'all' | 'relay';
}

export function loadSignalingConfig(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid signaling configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const jwtKeys = e.VISITA_JWT_KEYS
    ? e.VISITA_JWT_KEYS.split(',').map((pair) => {
        const i = pair.indexOf(':');
        return Object.freeze({ kid: pair.slice(0, i), secret: pair.slice(i + 1) });
      })
    : e.VISITA_JWT_SECRET
      ? [Object.freeze({ kid: 'k1', secret: e.VISITA_JWT_SECRET })]
      : [];
  let plans: Plan[];
  try {
    plans = z.array(Plan).min(1).parse(JSON.parse(e.VISITA_PLANS));
  } catch (err) {
    throw new Error(`invalid signaling configuration:\n  VISITA_PLANS: ${(err as Error).message.slice(0, 300)}`);
  }
  if ((e.VISITA_TURN_URLS === undefined) !== (e.VISITA_TURN_SECRET === undefined))
    throw new Error('invalid signaling configuration:\n  VISITA_TURN_URLS and VISITA_TURN_SECRET go together');
  if (e.VISITA_ICE_TRANSPORT_POLICY === 'relay' && e.VISITA_TURN_URLS === undefined)
    throw new Error('invalid signaling configuration:\n  VISITA_ICE_TRANSPORT_POLICY=relay needs VISITA_TURN_URLS');
  if (jwtKeys.length === 0)
    throw new Error('invalid signaling configuration:\n  VISITA_JWT_SECRET or VISITA_JWT_KEYS is required');
  return Object.freeze({
    host: e.VISITA_SIGNALING_HOST,
    port: e.VISITA_SIGNALING_PORT,
    metrics:
      e.VISITA_METRICS_PORT === undefined
        ? undefined
        : Object.freeze({ port: e.VISITA_METRICS_PORT, host: e.VISITA_METRICS_HOST }),
    instanceId: e.VISITA_INSTANCE_ID,
    redis: redisEndpoint(e),
    jwtKeys: Object.freeze(jwtKeys),
    sfuSecret: e.VISITA_SFU_SECRET,
    publicUrl: e.VISITA_PUBLIC_URL.replace(/\/$/, ''),
    patientLinkTtlS: e.VISITA_PATIENT_LINK_TTL_S,
    accessTokenTtlS: e.VISITA_ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: e.VISITA_REFRESH_TOKEN_TTL_S,
    idleTimeoutS: e.VISITA_IDLE_TIMEOUT_S,
    dataKey: e.VISITA_DATA_KEY,
    loginAttempts: e.VISITA_LOGIN_ATTEMPTS,
    loginAddressAttempts: e.VISITA_LOGIN_ADDRESS_ATTEMPTS,
    loginAccountAttempts: e.VISITA_LOGIN_ACCOUNT_ATTEMPTS,
    codeAttempts: e.VISITA_2FA_CODE_ATTEMPTS,
    socketRateScale: e.VISITA_SOCKET_RATE_SCALE,
    auditRetentionDays: e.VISITA_AUDIT_RETENTION_DAYS,
    trustedProxies: Object.freeze(
      e.VISITA_TRUSTED_PROXIES.split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
    checkinRate: e.VISITA_CHECKIN_RATE,
    probeRate: e.VISITA_PROBE_RATE,
    probeTtlMs: e.VISITA_PROBE_TTL_MS,
    probesPerPractitioner: e.VISITA_PROBES_PER_PRACTITIONER,
    linkRate: e.VISITA_LINK_RATE,
    consultationRate: e.VISITA_CONSULTATION_RATE,
    maxOpenConsultations: e.VISITA_OPEN_CONSULTATIONS,
    presenceTtlMs: e.VISITA_PRESENCE_TTL_MS,
    reconnectGraceMs: e.VISITA_RECONNECT_GRACE_MS,
    plans: Object.freeze(plans),
    meteringHeartbeatMs: e.VISITA_METERING_HEARTBEAT_MS,
    durable: Object.freeze({
      replicas: e.VISITA_REDIS_WAIT_REPLICAS ?? (e.VISITA_REDIS_SENTINELS ? 1 : 0),
      waitMs: e.VISITA_REDIS_WAIT_MS,
    }),
    logLevel: e.VISITA_LOG_LEVEL,
    turn:
      e.VISITA_TURN_URLS && e.VISITA_TURN_SECRET
        ? Object.freeze({
            urls: Object.freeze(e.VISITA_TURN_URLS.split(',').map((u) => u.trim())),
            secret: e.VISITA_TURN_SECRET,
            ttlS: e.VISITA_TURN_TTL_S,
          })
        : undefined,
    iceTransportPolicy: e.VISITA_ICE_TRANSPORT_POLICY,
    practiceName: e.VISITA_PRACTICE_NAME ?? null,
  });
}
