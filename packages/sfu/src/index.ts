export { loadSfuConfig, type SfuConfig } from './config.ts';
export { ControlServer } from './ControlServer.ts';
export { Heartbeat } from './heartbeat.ts';
export { createLogger } from './logger.ts';
export { mediaCodecs } from './mediaCodecs.ts';
export { Room } from './Room.ts';
export { SfuNode } from './SfuNode.ts';
export { WorkerPool } from './WorkerPool.ts';
export { version as mediasoupVersion } from 'mediasoup';
