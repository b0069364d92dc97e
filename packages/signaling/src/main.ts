import { loadSignalingConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { SignalingServer } from './SignalingServer.ts';

let config;
try {
  config = loadSignalingConfig();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const log = createLogger(config.logLevel, { instanceId: config.instanceId });
const server = new SignalingServer(config, log);
const port = await server.listen();
log.info({ host: config.host, port }, 'signaling ready');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
