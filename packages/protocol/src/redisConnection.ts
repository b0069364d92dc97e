import { z } from 'zod';

/**
 * Where a service finds Redis, read from its environment by each service's config.ts: one server
 * (`VISITA_REDIS_URL`, `redis://user:password@host:port`), or, with `VISITA_REDIS_SENTINELS`
 * (`host:port,...`), the primary the sentinels name (`VISITA_REDIS_MASTER_NAME`), with the user and
 * password of `VISITA_REDIS_URL` (its host is then ignored) and `VISITA_REDIS_SENTINEL_PASSWORD`
 * for the sentinels themselves.
 */
export const RedisEnv = {
  VISITA_REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((u) => /^rediss?:\/\//.test(u) && URL.canParse(u), 'a redis:// or rediss:// URL'),
  VISITA_REDIS_SENTINELS: z
    .string()
    .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, 'host:port[,host:port...]')
    .optional(),
  VISITA_REDIS_MASTER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default('visita'),
  VISITA_REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
};

export interface RedisEndpoint {
  readonly url: string;
  readonly sentinels?: ReadonlyArray<{ host: string; port: number }>;
  readonly masterName: string;
  readonly sentinelPassword?: string;
}

type RedisEnvValues = {
  VISITA_REDIS_URL: string;
  VISITA_REDIS_SENTINELS?: string | undefined;
  VISITA_REDIS_MASTER_NAME: string;
  VISITA_REDIS_SENTINEL_PASSWORD?: string | undefined;
};

export function redisEndpoint(e: RedisEnvValues): RedisEndpoint {
  return Object.freeze({
    url: e.VISITA_REDIS_URL,
    masterName: e.VISITA_REDIS_MASTER_NAME,
    ...(e.VISITA_REDIS_SENTINELS
      ? {
          sentinels: Object.freeze(
            e.VISITA_REDIS_SENTINELS.split(',').map((hp) => {
              const i = hp.lastIndexOf(':');
              return Object.freeze({ host: hp.slice(0, i), port: Number(hp.slice(i + 1)) });
            }),
          ),
        }
      : {}),
    ...(e.VISITA_REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.VISITA_REDIS_SENTINEL_PASSWORD } : {}),
  });
}

/**
 * How long a command waits for its reply. A frozen Redis (or one cut off) answers nothing; a command
 * sent to it fails after this long, even after the connection moved on to a new primary (ioredis
 * does not fail a dropped connection's commands by itself when it does not send them again).
 * Blocking reads must block for less (the Socket.IO adapter's 1 s, the rater's 0.5 s).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2_500;

/** A reconnection every 100 ms, then up to every second: back within a second of Redis. */
export const redisRetryDelayMs = (attempt: number): number => Math.min(100 * attempt, 1_000);

/**
 * ioredis options for an endpoint (plain values: `new Redis(redisOptions(...))`). Every Visita
 * connection behaves the same way when Redis goes away, is restarted or fails over:
 * - reconnects by itself, at most a second apart (`retryStrategy`); through the sentinels it asks
 *   for the primary again each time, and `failoverDetector` follows a failover at once (without
 *   it a frozen primary holds the connection for good);
 * - a command waits for one reconnection at most, and for a reply 2.5 s at most (a frozen Redis),
 *   then fails: the caller answers "temporarily unavailable" instead of hanging;
 * - a command sent but not answered when the connection dropped is not sent again by itself
 *   (`autoResendUnfulfilledCommands: false`): it may have been carried out, and a write carried
 *   out twice is a record written twice. It fails; the caller decides (idempotent writes retry);
 * - a connection it drops is destroyed after 100 ms if the other side does not close it: a frozen
 *   primary never does, and ioredis's default (2 s) added that much to every such failover.
 */
export function redisOptions(
  endpoint: RedisEndpoint,
  opts: { commandTimeoutMs?: number; connectionName?: string; lazyConnect?: boolean } = {},
): Record<string, unknown> {
  const url = new URL(endpoint.url);
  const auth = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const common = {
    ...auth,
    maxRetriesPerRequest: 1,
    retryStrategy: redisRetryDelayMs,
    commandTimeout: opts.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    autoResendUnfulfilledCommands: false,
    disconnectTimeout: 100,
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    ...(opts.lazyConnect ? { lazyConnect: true } : {}),
  };
  if (!endpoint.sentinels) return { ...common, host: url.hostname, port: Number(url.port || 6379) };
  return {
    ...common,
    sentinels: endpoint.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: endpoint.masterName,
    role: 'master',
    ...(endpoint.sentinelPassword ? { sentinelPassword: endpoint.sentinelPassword } : {}),
    sentinelRetryStrategy: redisRetryDelayMs,
    sentinelCommandTimeout: 1_000,
    failoverDetector: true,
    // A primary demoted by a failover answers READONLY: reconnect, to the new one.
    reconnectOnError: (e: Error) => e.message.startsWith('READONLY'),
  };
}

interface CommandQueue {
  toArray(): Array<{ command?: { reject?: (e: Error) => void } }>;
}

/**
 * Fails, when `redis`'s connection closes, the commands it had sent and not had answered. ioredis
 * does not send them again (`autoResendUnfulfilledCommands: false`) but does not fail them either:
 * they would wait out their time limit, even once the connection reached a new primary (measured:
 * up to the whole 2.5 s added to a frozen primary's failover). Call it on every connection made
 * with `redisOptions` (and on each `duplicate()`).
 */
export function failSentCommandsOnClose(redis: { on(event: 'close', listener: () => void): unknown }): void {
  redis.on('close', () => {
    const queues = redis as unknown as { commandQueue?: CommandQueue; prevCommandQueue?: CommandQueue | null };
    for (const queue of [queues.commandQueue, queues.prevCommandQueue])
      for (const item of queue?.toArray() ?? []) item.command?.reject?.(new Error('Connection is closed.'));
  });
}

/**
 * Whether an error means Redis cannot be reached now (down, restarting, loading its data, frozen,
 * failing over, a replica that lost its primary) rather than a bug: the request can be tried again.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN)$/.test(code))
    return true;
  return /^(Connection is closed|Command timed out|Stream isn't writeable|All sentinels are unreachable|Failed to refresh slots cache|LOADING |READONLY |MASTERDOWN |NOREPLICAS |TRYAGAIN )/.test(
    error.message,
  );
}
