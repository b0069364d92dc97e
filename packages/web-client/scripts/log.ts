/** One JSON line per event, with ids only: never a query string, a header value or a body. */
export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export const jsonLog: Log = (level, msg, fields) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), service: 'web', level, msg, ...fields }));
};

/** What an error says about itself in a log line: its code (ECONNREFUSED, EPIPE…) or its message. */
export const errorName = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
