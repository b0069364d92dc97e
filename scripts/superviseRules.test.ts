import { expect, it } from 'vitest';
import { MAX_RESTART_MS, describeExit, restartDelayMs } from './superviseRules.ts';

it('restarts after 1 s, doubling per quick exit in a row, at most 30 s', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([
    1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
  ]);
  expect(restartDelayMs(1000)).toBe(MAX_RESTART_MS);
});

it('says how a service ended', () => {
  expect(describeExit(1, null)).toBe('exited with code 1');
  expect(describeExit(null, 'SIGKILL')).toBe('was killed by SIGKILL');
});
