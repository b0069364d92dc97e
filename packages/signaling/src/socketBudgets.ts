import { RequestClass } from '@visita/protocol';

/**
 * Per-socket request budgets: one token bucket per request class. A whole consultation (join,
 * call set-up with ~12 media requests, a reconnection, chatting) stays well inside them; a client
 * firing requests in a loop is refused with RATE_LIMITED, and one that keeps going past
 * MAX_REFUSALS refusals within REFUSAL_WINDOW_MS is disconnected.
 */
export const BUDGETS: { readonly [C in RequestClass]: { readonly burst: number; readonly perSecond: number } } = {
  [RequestClass.MEDIA]: { burst: 40, perSecond: 10 },
  [RequestClass.CHAT]: { burst: 10, perSecond: 1 },
  [RequestClass.READ]: { burst: 10, perSecond: 2 },
  [RequestClass.CONTROL]: { burst: 10, perSecond: 2 },
};
export const MAX_REFUSALS = 50;
export const REFUSAL_WINDOW_MS = 10_000;

export type BudgetVerdict = 'ok' | 'refused' | 'disconnect';

/** The budgets of one socket. `now` is passed in (ms), so it is tested without timers. */
export class SocketBudgets {
  readonly #scale: number;
  readonly #tokens = new Map<RequestClass, { level: number; at: number }>();
  #refusals: number[] = [];

  /** `scale` multiplies every burst and rate (VISITA_SOCKET_RATE_SCALE). */
  constructor(scale = 1) {
    this.#scale = scale;
  }

  spend(cls: RequestClass, now: number): BudgetVerdict {
    const burst = BUDGETS[cls].burst * this.#scale;
    const perSecond = BUDGETS[cls].perSecond * this.#scale;
    const b = this.#tokens.get(cls) ?? { level: burst, at: now };
    b.level = Math.min(burst, b.level + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.#tokens.set(cls, b);
    if (b.level >= 1) {
      b.level -= 1;
      return 'ok';
    }
    this.#refusals = this.#refusals.filter((t) => now - t < REFUSAL_WINDOW_MS);
    this.#refusals.push(now);
    return this.#refusals.length > MAX_REFUSALS ? 'disconnect' : 'refused';
  }
}
