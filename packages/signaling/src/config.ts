import { z } from 'zod';

// Signaling's whole configuration, read from the environment here only, validated at start-up
// with every problem listed, then passed down frozen.
const Env = z.object({
  VISITA_SIGNALING_HOST: z.string().default('127.0.0.1'),
  VISITA_SIGNALING_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  VISITA_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default(`sig-${process.pid}`),
  VISITA_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  VISITA_JWT_SECRET: z.string().min(32, 'VISITA_JWT_SECRET must be at least 32 characters'),
  VISITA_SFU_SECRET: z.string().min(16, 'VISITA_SFU_SECRET must be at least 16 characters'),
  /** Base URL of the web client, used to build patient links. */
  VISITA_PUBLIC_URL: z.string().url().default('https://localhost:8443'),
  VISITA_DEMO_EMAIL: z.string().email().default('doctor@visita.local'),
  VISITA_DEMO_PASSWORD: z.string().min(8, 'VISITA_DEMO_PASSWORD must be at least 8 characters'),
  VISITA_DEMO_NAME: z.string().min(1).max(120).default('Dr. Demo'),
  VISITA_PATIENT_LINK_TTL_S: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
  VISITA_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(60).max(24 * 3600).default(12 * 3600),
  /** How long a connection counts as present without its instance's heartbeat. */
  VISITA_PRESENCE_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  VISITA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SignalingConfig {
  readonly host: string;
  readonly port: number;
  readonly instanceId: string;
  readonly redisUrl: string;
  readonly jwtSecret: string;
  readonly sfuSecret: string;
  readonly publicUrl: string;
  readonly demo: { readonly email: string; readonly password: string; readonly name: string };
  readonly patientLinkTtlS: number;
  readonly accessTokenTtlS: number;
  readonly presenceTtlMs: number;
  readonly logLevel: string;
}

export function loadSignalingConfig(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid signaling configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    host: e.VISITA_SIGNALING_HOST,
    port: e.VISITA_SIGNALING_PORT,
    instanceId: e.VISITA_INSTANCE_ID,
    redisUrl: e.VISITA_REDIS_URL,
    jwtSecret: e.VISITA_JWT_SECRET,
    sfuSecret: e.VISITA_SFU_SECRET,
    publicUrl: e.VISITA_PUBLIC_URL.replace(/\/$/, ''),
    demo: Object.freeze({ email: e.VISITA_DEMO_EMAIL, password: e.VISITA_DEMO_PASSWORD, name: e.VISITA_DEMO_NAME }),
    patientLinkTtlS: e.VISITA_PATIENT_LINK_TTL_S,
    accessTokenTtlS: e.VISITA_ACCESS_TOKEN_TTL_S,
    presenceTtlMs: e.VISITA_PRESENCE_TTL_MS,
    logLevel: e.VISITA_LOG_LEVEL,
  });
}
