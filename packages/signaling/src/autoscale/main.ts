import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { failSentCommandsOnClose, redisOptions } from '@visita/protocol/redis';
import { serveMetrics } from '@visita/protocol/metricsServer';
import { createLogger } from '../logger.ts';
import { SfuRegistry } from '../sfu/SfuRegistry.ts';
import { Autoscaler, AUTOSCALER_LEASE_KEY, type NodeProvider } from './Autoscaler.ts';
import { loadAutoscalerConfig, type AutoscalerConfig } from './config.ts';
import { Lease } from './Lease.ts';
import { LocalProvider } from './LocalProvider.ts';
import { MetricProvider } from './MetricProvider.ts';
import { AutoscalerMetrics } from './metrics.ts';

// The autoscaler process: run one or more per cluster (one leads, through a lease in Redis).
let config: AutoscalerConfig;
try {
  config = loadAutoscalerConfig();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const log = createLogger(config.logLevel).child({ autoscaler: config.instanceId });
process.on('unhandledRejection', (reason) =>
  log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'),
);
const redis = new Redis(redisOptions(config.redis, { connectionName: `autoscaler:${config.instanceId}` }));
redis.on('error', (e) => log.debug({ err: e.message }, 'redis error'));
failSentCommandsOnClose(redis);
const metrics = new AutoscalerMetrics(config.instanceId);
const served = config.metrics
  ? await serveMetrics(metrics.registry, config.metrics.port, config.metrics.host)
  : undefined;
const sfuMain = join(dirname(fileURLToPath(import.meta.url)), '../../../sfu/src/main.ts');
const provider: NodeProvider =
  config.provider === 'local'
    ? new LocalProvider({
        sfuMain,
        env: { ...config.local.nodeEnv },
        ...config.local,
        log,
        startupObserved: (ms) => metrics.startup.observe(ms / 1000),
      })
    : new MetricProvider();
// Only the records are read (signed by the SFU secret); no control connection is opened from here.
const registry = new SfuRegistry(redis, { secret: config.sfuSecret, token: () => '', log });
const autoscaler = new Autoscaler({
  redis,
  lease: new Lease(redis, AUTOSCALER_LEASE_KEY, config.instanceId, Math.max(3_000, config.tickMs * 3)),
  provider,
  nodes: () => registry.nodes(),
  policy: config.policy,
  growthWindowMs: config.growthWindowMs,
  log,
  observer: metrics.observer,
});
await autoscaler.tick().catch((e: Error) => log.warn({ err: e.message }, 'autoscaler tick failed'));
const stop = autoscaler.run(config.tickMs);
log.info({ provider: provider.name, policy: config.policy, metricsPort: served?.port ?? null }, 'autoscaler ready');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 15_000).unref();
  log.info({ signal }, 'autoscaler stopping (its local nodes stop too)');
  await stop();
  await provider.close();
  served?.server.close();
  redis.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
