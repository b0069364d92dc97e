import { Redis } from 'ioredis';
import { failSentCommandsOnClose, redisOptions } from '@visita/protocol/redis';
import { loadSfuConfig, type SfuConfig } from './config.ts';
import { ControlServer } from './ControlServer.ts';
import { Heartbeat } from './heartbeat.ts';
import { SfuMetrics } from './metrics.ts';
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
if (config.maxConsumers !== undefined) node.maxConsumers = config.maxConsumers;
pool.on('workerDied', ({ pid, replaced }) =>
  log.warn({ workerPid: pid, replaced }, 'worker replaced; its rooms were reported lost'),
);
const metrics = new SfuMetrics(node, pool);
const metricsServer = config.metrics ? await metrics.listen(config.metrics.port, config.metrics.host) : undefined;
if (metricsServer) log.info({ port: metricsServer.port, host: config.metrics?.host }, 'metrics served');
const control = new ControlServer(node, config.secret, log);
const port = await control.listen(config.controlPort, config.controlHost);
const controlUrl = config.controlUrl ?? `http://${config.controlHost}:${port}`;
// Calls do not need Redis: while it is out of reach only the heartbeat fails (and says so once).
const redis = new Redis(redisOptions(config.redis, { connectionName: `sfu:${config.nodeId}` }));
redis.on('error', (e) => log.debug({ err: e.message }, 'redis error'));
failSentCommandsOnClose(redis);
const heartbeat = new Heartbeat(redis, node, pool, controlUrl, config.secret, log);
await heartbeat.beat();
log.info({ controlUrl, workers: config.workers, announced: config.rtc.announcedAddress ?? null }, 'sfu node ready');

// SIGTERM (what an orchestrator sends) drains: announced at once, calls run to their end for at
// most VISITA_SFU_DRAIN_MAX_MS, then the remaining ones are moved by signaling; exit 0. A second
// signal, or SIGINT (Ctrl-C at a terminal), stops at once: signaling notices the closed control
// connection and moves the calls left.
let signals = 0;
async function stop(): Promise<void> {
  // Whatever happens below, the process ends (a stop that hangs would hold a drained node forever).
  setTimeout(() => process.exit(0), 5_000).unref();
  await heartbeat.stop();
  node.close();
  await control.close();
  metricsServer?.server.close();
  pool.close();
  redis.disconnect();
  process.exit(0);
}
function onSignal(signal: string): void {
  signals++;
  if (signals > 1 || signal === 'SIGINT') {
    log.warn({ signal, rooms: node.roomIds.length }, 'stopping now (SIGINT, or a second signal)');
    void stop();
    return;
  }
  log.info({ signal, rooms: node.roomIds.length, drainMaxMs: config.drainMaxMs }, 'draining');
  metrics.drains.inc();
  node
    .drain(config.drainMaxMs, () => heartbeat.beat())
    .then(async (outcome) => {
      log.info({ outcome }, 'drained');
      // Give signaling a moment to re-place what was moved before the control connection closes.
      if (outcome === 'moved') await new Promise((r) => setTimeout(r, 1_000));
      await stop();
    })
    .catch((e: Error) => {
      log.error({ err: e.message }, 'drain failed; stopping');
      void stop();
    });
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
