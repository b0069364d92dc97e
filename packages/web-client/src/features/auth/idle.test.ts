import { describe, expect, it } from 'vitest';
import { holdBusy, idleState, isBusy } from './idle.ts';

describe('idleState', () => {
  it('is active, then warns in the last 60 s, then expires at the timeout', () => {
    expect(idleState(0, 839_000, 900)).toEqual({ kind: 'active' });
    expect(idleState(0, 840_000, 900)).toEqual({ kind: 'warning', secondsLeft: 60 });
    expect(idleState(0, 899_001, 900)).toEqual({ kind: 'warning', secondsLeft: 1 });
    expect(idleState(0, 900_000, 900)).toEqual({ kind: 'expired' });
  });
  it('warns for half the timeout when it is short', () => {
    expect(idleState(0, 29_000, 60)).toEqual({ kind: 'active' });
    expect(idleState(0, 30_000, 60)).toEqual({ kind: 'warning', secondsLeft: 30 });
  });
});

describe('holdBusy', () => {
  it('counts holders; releasing twice counts once', () => {
    const a = holdBusy();
    const b = holdBusy();
    a();
    a();
    expect(isBusy()).toBe(true);
    b();
    expect(isBusy()).toBe(false);
  });
});
