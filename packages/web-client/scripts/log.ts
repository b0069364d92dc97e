/** One JSON line per event, with ids only: never a query string, a header value or a body. */
export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export const jsonLog: Log = (level, msg, fields) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), service: 'web', level, msg, ...fields }));
};

/** What an error says about itself in a log line: its code (ECONNREFUSED, EPIPE…) or its message. */
export const errorName = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);

/**
 * Anyone can make the server log (a refused request target, a refused upgrade): past `perWindow`
 * lines of one message within `windowMs`, the rest are counted, not written, and one line says how
 * many were left out. Errors are never held back.
 */
export function boundedLog(log: Log, o: { perWindow: number; windowMs: number }, now: () => number = Date.now): Log {
  const windows = new Map<string, { start: number; written: number; suppressed: number }>();
  return (level, msg, fields) => {
    if (level === 'error') return log(level, msg, fields);
    const t = now();
    let w = windows.get(msg);
    if (!w || t - w.start >= o.windowMs) {
      if (w?.suppressed) log(level, 'log lines left out', { msg, suppressed: w.suppressed, windowMs: o.windowMs });
      w = { start: t, written: 0, suppressed: 0 };
      windows.set(msg, w);
    }
    if (w.written < o.perWindow) {
      w.written++;
      log(level, msg, fields);
    } else w.suppressed++;
  };
}
