// The restart rules of scripts/supervise.ts, pure (unit-tested in superviseRules.test.ts).

/** A service that ran this long before exiting is restarted after the shortest delay again. */
export const STEADY_AFTER_MS = 30_000;
/** The first restart's delay, doubled per quick exit in a row, up to the maximum. */
export const FIRST_RESTART_MS = 1_000;
export const MAX_RESTART_MS = 30_000;

/** The delay before a restart, the service having exited `quickExits` times in a row (>= 1) without running steadily. */
export function restartDelayMs(quickExits: number): number {
  return Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** Math.max(0, quickExits - 1));
}

/** "exited with code 1" / "was killed by SIGKILL", for the terminal. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with code ${code ?? '?'}`;
}
