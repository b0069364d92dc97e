import { loadSignalingConfig, type SignalingConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { SignalingServer } from './SignalingServer.ts';

let config: SignalingConfig;
try {
  config = loadSignalingConfig();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const log = createLogger(config.logLevel, { instanceId: config.instanceId });
// A promise nobody awaited that failed is a bug to log, not a reason to drop every call; an
// exception thrown out of the event loop leaves the state unknown: log it and exit (restarted).
process.on('unhandledRejection', (reason) =>
  log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'),
);
process.on('uncaughtException', (e) => {
  log.fatal({ err: e.stack }, 'uncaught exception');
  process.exit(1);
});
const server = new SignalingServer(config, log);
const port = await server.listen();
log.info({ host: config.host, port }, 'signaling ready');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Whatever happens below, the process ends: a stop that hangs (Redis and its sentinels gone at the
  // same time, as when `make start` itself is killed) would leave it running with nobody to stop it.
  setTimeout(() => process.exit(0), 5_000).unref();
  log.info({ signal }, 'stopping');
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
