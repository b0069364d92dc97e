import { Redis } from 'ioredis';
import { loadSfuConfig, type SfuConfig } from './config.ts';
import { ControlServer } from './ControlServer.ts';
import { Heartbeat } from './heartbeat.ts';
import { createLogger } from './logger.ts';
import { SfuNode } from './SfuNode.ts';
import { WorkerPool } from './WorkerPool.ts';

// An SFU node process: worker pool + rooms, control port for signaling, heartbeat into Redis.
let config: SfuConfig;
try {
  config = loadSfuConfig();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const log = createLogger(config.logLevel, { nodeId: config.nodeId });
// A promise nobody awaited that failed is a bug to log, not a reason to drop every call; an
// exception thrown out of the event loop leaves the state unknown: log it and exit (restarted).
process.on('unhandledRejection', (reason) =>
  log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'),
);
process.on('uncaughtException', (e) => {
  log.fatal({ err: e.stack }, 'uncaught exception');
  process.exit(1);
});
const pool = await WorkerPool.create(config.workers, log);
const node = new SfuNode(config.nodeId, pool, config.rtc, log);
pool.on('workerDied', ({ pid, replaced }) =>
  log.warn({ workerPid: pid, replaced }, 'worker replaced; its rooms were reported lost'),
);
const control = new ControlServer(node, config.secret, log);
const port = await control.listen(config.controlPort, config.controlHost);
const controlUrl = config.controlUrl ?? `http://${config.controlHost}:${port}`;
const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
redis.on('error', (e) => log.warn({ err: e.message }, 'redis error'));
const heartbeat = new Heartbeat(redis, node, pool, controlUrl, config.secret, log);
await heartbeat.beat();
log.info({ controlUrl, workers: config.workers, announced: config.rtc.announcedAddress ?? null }, 'sfu node ready');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await heartbeat.stop();
  node.close();
  await control.close();
  pool.close();
  redis.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
