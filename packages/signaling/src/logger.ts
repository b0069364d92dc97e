import { pino, type Logger } from 'pino';

/** JSON logs with bound ids only: never patient names, tokens or free text. */
export function createLogger(level: string, bindings: Record<string, string> = {}): Logger {
  return pino({ level, base: { service: 'signaling', ...bindings } });
}
export type { Logger };
