export { loadSfuConfig, type SfuConfig } from './config.ts';
export { ControlServer } from './ControlServer.ts';
export { Heartbeat } from './heartbeat.ts';
export { createLogger } from './logger.ts';
export { mediaCodecs } from './mediaCodecs.ts';
export {
  MAX_CONSUMERS_PER_PEER,
  MAX_CONSUMERS_PER_ROOM,
  MAX_PEERS_PER_ROOM,
  MAX_PRODUCERS_PER_PEER,
  MAX_TRANSPORTS_PER_PEER,
  Room,
} from './Room.ts';
export { SfuNode } from './SfuNode.ts';
export { WorkerPool } from './WorkerPool.ts';
export { version as mediasoupVersion } from 'mediasoup';
