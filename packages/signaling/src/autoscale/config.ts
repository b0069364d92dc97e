import { RedisEnv, redisEndpoint, type RedisEndpoint } from '@visita/protocol/redis';
import { z } from 'zod';
import { Id } from '@visita/protocol';
import type { PrewarmWindow, ScalingPolicy } from './decide.ts';

// The autoscaler process's configuration, from the environment, validated with every problem listed.
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const Window = z
  .object({
    days: z.array(int(0, 6)).max(7),
    fromMinute: int(0, 1439),
    toMinute: int(1, 1440),
    minNodes: int(0, 1000),
  })
  .strict();

const Env = z.object({
  ...RedisEnv,
  /** Node records are verified with it (a record not signed by a node is never counted). */
  VISITA_SFU_SECRET: z.string().min(16, 'VISITA_SFU_SECRET must be at least 16 characters'),
  VISITA_INSTANCE_ID: Id.default(`autoscaler-${process.pid}`),
  /** `local`: starts and drains SFU node processes here; `metric`: only publishes the desired count (KEDA scales). */
  VISITA_AUTOSCALE_PROVIDER: z.enum(['local', 'metric']).default('metric'),
  VISITA_AUTOSCALE_MIN_NODES: int(0, 1000).default(1),
  VISITA_AUTOSCALE_MAX_NODES: int(1, 1000).default(8),
  VISITA_AUTOSCALE_HEADROOM: z.coerce.number().min(0).max(10).default(0.25),
  /**
   * Waiting patients of one practitioner (online) counted as calls to come: one person holds one
   * call at a time; 2 leaves room for the next call opening before the last one's room is closed.
   */
  VISITA_AUTOSCALE_WAITING_PER_PRACTITIONER: int(1, 100).default(2),
  VISITA_AUTOSCALE_LEAD_MINUTES: z.coerce.number().min(0).max(60).default(1),
  VISITA_AUTOSCALE_COOLDOWN_S: int(0, 24 * 3600).default(600),
  VISITA_AUTOSCALE_TICK_MS: int(200, 60_000).default(2_000),
  VISITA_AUTOSCALE_GROWTH_WINDOW_S: int(5, 3600).default(60),
  /** Per-node capacity when no node reports its own (VISITA_SFU_MAX_CONSUMERS; `make bench-sfu`). */
  VISITA_AUTOSCALE_CONSUMERS_PER_NODE: int(4, 10_000_000).default(500),
  /** Pre-warm windows as JSON: [{"days":[1,2,3,4,5],"fromMinute":480,"toMinute":720,"minNodes":3}]. */
  VISITA_AUTOSCALE_PREWARM: z.string().default('[]'),
  VISITA_AUTOSCALE_UTC_OFFSET_MINUTES: int(-720, 840).default(0),
  VISITA_METRICS_PORT: int(0, 65535).optional(),
  VISITA_METRICS_HOST: z.string().default('127.0.0.1'),
  // The local provider: slots of ports for the nodes it starts, their logs, Prometheus discovery.
  VISITA_AUTOSCALE_SLOTS: int(1, 64).default(8),
  VISITA_AUTOSCALE_CONTROL_PORT_BASE: int(1, 65535).default(4443),
  VISITA_AUTOSCALE_METRICS_PORT_BASE: int(1, 65535).default(9465),
  VISITA_AUTOSCALE_RTC_PORT_BASE: int(1024, 65535).default(40000),
  VISITA_AUTOSCALE_RTC_PORTS_PER_NODE: int(10, 10_000).default(1000),
  VISITA_AUTOSCALE_LOG_DIR: z.string().optional(),
  VISITA_AUTOSCALE_SD_FILE: z.string().optional(),
  VISITA_AUTOSCALE_ID_PREFIX: Id.default('sfu-auto'),
  /** The nodes' own Redis URL (their Redis user); default: the autoscaler's. */
  VISITA_AUTOSCALE_SFU_REDIS_URL: z.string().optional(),
  VISITA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** What a local node inherits from the autoscaler's environment, when set. */
const NODE_ENV = [
  'VISITA_RTC_ANNOUNCED_ADDRESS',
  'VISITA_RTC_LISTEN_IP',
  'VISITA_SFU_CONTROL_HOST',
  'VISITA_SFU_WORKERS',
  'VISITA_SFU_MAX_CONSUMERS',
  'VISITA_SFU_DRAIN_MAX_MS',
  'VISITA_SFU_LOG_LEVEL',
  // Through Sentinel (VISITA_REDIS_HA=1): the nodes find the primary as the autoscaler does.
  'VISITA_REDIS_SENTINELS',
  'VISITA_REDIS_MASTER_NAME',
  'VISITA_REDIS_SENTINEL_PASSWORD',
  'PATH',
  'HOME',
  'MEDIASOUP_WORKER_BIN',
] as const;

export interface AutoscalerConfig {
  readonly redis: RedisEndpoint;
  readonly sfuSecret: string;
  readonly instanceId: string;
  readonly provider: 'local' | 'metric';
  readonly policy: ScalingPolicy;
  readonly tickMs: number;
  readonly growthWindowMs: number;
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
  readonly local: {
    readonly slots: number;
    readonly controlPortBase: number;
    readonly metricsPortBase: number;
    readonly rtcPortBase: number;
    readonly rtcPortsPerNode: number;
    readonly logDir: string | undefined;
    readonly sdFile: string | undefined;
    readonly idPrefix: string;
    readonly nodeEnv: Readonly<Record<string, string>>;
  };
  readonly logLevel: string;
}

export function loadAutoscalerConfig(env: NodeJS.ProcessEnv = process.env): AutoscalerConfig {
  const parsed = Env.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  let prewarm: PrewarmWindow[] = [];
  if (parsed.success) {
    const windows = z.array(Window).max(50).safeParse(safeJson(parsed.data.VISITA_AUTOSCALE_PREWARM));
    if (windows.success) prewarm = windows.data;
    else problems.push('  VISITA_AUTOSCALE_PREWARM: a JSON array of {days, fromMinute, toMinute, minNodes}');
    if (parsed.data.VISITA_AUTOSCALE_MIN_NODES > parsed.data.VISITA_AUTOSCALE_MAX_NODES)
      problems.push('  VISITA_AUTOSCALE_MIN_NODES: larger than VISITA_AUTOSCALE_MAX_NODES');
  }
  if (!parsed.success || problems.length > 0)
    throw new Error(`invalid autoscaler configuration:\n${problems.join('\n')}`);
  const e = parsed.data;
  const nodeEnv: Record<string, string> = {};
  for (const k of NODE_ENV) if (env[k] !== undefined) nodeEnv[k] = env[k] as string;
  Object.assign(nodeEnv, {
    VISITA_SFU_SECRET: e.VISITA_SFU_SECRET,
    VISITA_REDIS_URL: e.VISITA_AUTOSCALE_SFU_REDIS_URL ?? e.VISITA_REDIS_URL,
    VISITA_LOG_LEVEL: env['VISITA_SFU_LOG_LEVEL'] ?? e.VISITA_LOG_LEVEL,
  });
  return Object.freeze({
    redis: redisEndpoint(e),
    sfuSecret: e.VISITA_SFU_SECRET,
    instanceId: e.VISITA_INSTANCE_ID,
    provider: e.VISITA_AUTOSCALE_PROVIDER,
    policy: Object.freeze({
      minNodes: e.VISITA_AUTOSCALE_MIN_NODES,
      maxNodes: e.VISITA_AUTOSCALE_MAX_NODES,
      consumersPerNode: e.VISITA_AUTOSCALE_CONSUMERS_PER_NODE,
      consumersPerCall: 4,
      waitingPerPractitioner: e.VISITA_AUTOSCALE_WAITING_PER_PRACTITIONER,
      headroom: e.VISITA_AUTOSCALE_HEADROOM,
      leadMinutes: e.VISITA_AUTOSCALE_LEAD_MINUTES,
      scaleInCooldownMs: e.VISITA_AUTOSCALE_COOLDOWN_S * 1000,
      prewarm,
      utcOffsetMinutes: e.VISITA_AUTOSCALE_UTC_OFFSET_MINUTES,
    }),
    tickMs: e.VISITA_AUTOSCALE_TICK_MS,
    growthWindowMs: e.VISITA_AUTOSCALE_GROWTH_WINDOW_S * 1000,
    metrics:
      e.VISITA_METRICS_PORT === undefined ? undefined : { port: e.VISITA_METRICS_PORT, host: e.VISITA_METRICS_HOST },
    local: Object.freeze({
      slots: e.VISITA_AUTOSCALE_SLOTS,
      controlPortBase: e.VISITA_AUTOSCALE_CONTROL_PORT_BASE,
      metricsPortBase: e.VISITA_AUTOSCALE_METRICS_PORT_BASE,
      rtcPortBase: e.VISITA_AUTOSCALE_RTC_PORT_BASE,
      rtcPortsPerNode: e.VISITA_AUTOSCALE_RTC_PORTS_PER_NODE,
      logDir: e.VISITA_AUTOSCALE_LOG_DIR,
      sdFile: e.VISITA_AUTOSCALE_SD_FILE,
      idPrefix: e.VISITA_AUTOSCALE_ID_PREFIX,
      nodeEnv: Object.freeze(nodeEnv),
    }),
    logLevel: e.VISITA_LOG_LEVEL,
  });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
