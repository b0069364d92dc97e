import { describe, expect, it } from 'vitest';
import { RequestClass } from '@visita/protocol';
import { BUDGETS, MAX_REFUSALS, REFUSAL_WINDOW_MS, SocketBudgets } from './socketBudgets.ts';

describe('SocketBudgets', () => {
  it('allows a burst, then refills at the class rate', () => {
    const b = new SocketBudgets();
    const { burst, perSecond } = BUDGETS[RequestClass.CHAT];
    for (let i = 0; i < burst; i++) expect(b.spend(RequestClass.CHAT, 1_000)).toBe('ok');
    expect(b.spend(RequestClass.CHAT, 1_000)).toBe('refused');
    // Other classes have budgets of their own.
    expect(b.spend(RequestClass.MEDIA, 1_000)).toBe('ok');
    expect(b.spend(RequestClass.CHAT, 1_000 + 1_000 / perSecond)).toBe('ok');
    expect(b.spend(RequestClass.CHAT, 1_000 + 1_000 / perSecond)).toBe('refused');
  });

  it('says disconnect past MAX_REFUSALS refusals within the window, not for refusals spread out', () => {
    const b = new SocketBudgets();
    const t0 = 5_000;
    for (let i = 0; i < BUDGETS[RequestClass.READ].burst; i++) b.spend(RequestClass.READ, t0);
    for (let i = 0; i < MAX_REFUSALS; i++) expect(b.spend(RequestClass.READ, t0)).toBe('refused');
    expect(b.spend(RequestClass.READ, t0)).toBe('disconnect');
    const slow = new SocketBudgets();
    let t = 0;
    for (let i = 0; i < BUDGETS[RequestClass.READ].burst; i++) slow.spend(RequestClass.READ, t);
    // One refusal every window / 10: never more than 10 in a window.
    for (let i = 0; i < 200; i++) {
      t += REFUSAL_WINDOW_MS / 10;
      slow.spend(RequestClass.READ, t); // refills a little
      while (slow.spend(RequestClass.READ, t) === 'ok');
    }
    expect(slow.spend(RequestClass.READ, t)).toBe('refused');
  });

  it('scales every budget', () => {
    const b = new SocketBudgets(10);
    for (let i = 0; i < BUDGETS[RequestClass.CHAT].burst * 10; i++) expect(b.spend(RequestClass.CHAT, 0)).toBe('ok');
    expect(b.spend(RequestClass.CHAT, 0)).toBe('refused');
  });
});
