import { pino, type Logger } from 'pino';

/** JSON logs with bound ids (nodeId, roomId, peerId); never names, tokens or free text from users. */
export function createLogger(level: string, bindings: Record<string, string> = {}): Logger {
  return pino({ level, base: { service: 'sfu', ...bindings } });
}
export type { Logger };
