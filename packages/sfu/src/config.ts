import { RedisEnv, redisEndpoint, type RedisEndpoint } from '@visita/protocol/redis';
import os from 'node:os';
import { z } from 'zod';
import { Id } from '@visita/protocol';

// The SFU node's whole configuration, read from the environment here only, validated at start-up
// with every problem listed, then passed down frozen.
const Env = z.object({
  VISITA_SFU_NODE_ID: Id.default(`sfu-${os.hostname().replace(/[^A-Za-z0-9_-]/g, '')}-${process.pid}`),
  VISITA_SFU_WORKERS: z.coerce.number().int().min(1).max(64).default(os.availableParallelism()),
  /** Prometheus metrics on this internal port (absent: not served); on VISITA_SFU_METRICS_HOST. */
  VISITA_SFU_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VISITA_SFU_METRICS_HOST: z.string().default('127.0.0.1'),
  /** The node's capacity in consumers (default 500 per worker). */
  VISITA_SFU_MAX_CONSUMERS: z.coerce.number().int().min(4).max(1_000_000).optional(),
  /** On SIGTERM, how long calls in progress may go on before they are moved to another node. */
  VISITA_SFU_DRAIN_MAX_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 3600_000)
    .default(30 * 60_000),
  VISITA_SFU_CONTROL_HOST: z.string().default('127.0.0.1'),
  VISITA_SFU_CONTROL_PORT: z.coerce.number().int().min(0).max(65535).default(4443),
  /** The URL signaling uses to reach this node's control port (default: http://host:port). */
  VISITA_SFU_CONTROL_URL: z.string().url().optional(),
  VISITA_SFU_SECRET: z.string().min(16, 'VISITA_SFU_SECRET must be at least 16 characters'),
  VISITA_RTC_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
  /** Address given to browsers in ICE candidates (e.g. the machine's LAN or public address). */
  VISITA_RTC_ANNOUNCED_ADDRESS: z.string().optional(),
  VISITA_RTC_MIN_PORT: z.coerce.number().int().min(1024).max(65535).default(40000),
  VISITA_RTC_MAX_PORT: z.coerce.number().int().min(1024).max(65535).default(49999),
  ...RedisEnv,
  VISITA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SfuConfig {
  readonly nodeId: string;
  readonly workers: number;
  readonly drainMaxMs: number;
  readonly maxConsumers: number | undefined;
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
  readonly controlHost: string;
  readonly controlPort: number;
  readonly controlUrl: string | undefined;
  readonly secret: string;
  readonly rtc: {
    readonly listenIp: string;
    readonly announcedAddress: string | undefined;
    readonly minPort: number;
    readonly maxPort: number;
  };
  /** Its Redis: one server, or a primary through Sentinel (`VISITA_REDIS_*`). */
  readonly redis: RedisEndpoint;
  readonly logLevel: string;
}

export function loadSfuConfig(env: NodeJS.ProcessEnv = process.env): SfuConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid SFU configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.VISITA_RTC_MIN_PORT > e.VISITA_RTC_MAX_PORT) {
    throw new Error('invalid SFU configuration:\n  VISITA_RTC_MIN_PORT must not exceed VISITA_RTC_MAX_PORT');
  }
  return Object.freeze({
    nodeId: e.VISITA_SFU_NODE_ID,
    workers: e.VISITA_SFU_WORKERS,
    drainMaxMs: e.VISITA_SFU_DRAIN_MAX_MS,
    maxConsumers: e.VISITA_SFU_MAX_CONSUMERS,
    metrics:
      e.VISITA_SFU_METRICS_PORT === undefined
        ? undefined
        : Object.freeze({ port: e.VISITA_SFU_METRICS_PORT, host: e.VISITA_SFU_METRICS_HOST }),
    controlHost: e.VISITA_SFU_CONTROL_HOST,
    controlPort: e.VISITA_SFU_CONTROL_PORT,
    controlUrl: e.VISITA_SFU_CONTROL_URL,
    secret: e.VISITA_SFU_SECRET,
    rtc: Object.freeze({
      listenIp: e.VISITA_RTC_LISTEN_IP,
      announcedAddress: e.VISITA_RTC_ANNOUNCED_ADDRESS || undefined,
      minPort: e.VISITA_RTC_MIN_PORT,
      maxPort: e.VISITA_RTC_MAX_PORT,
    }),
    redis: redisEndpoint(e),
    logLevel: e.VISITA_LOG_LEVEL,
  });
}
