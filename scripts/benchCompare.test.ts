import { describe, expect, it } from 'vitest';
import { compareTable, parseCalls, pct } from './benchCompare.ts';

describe('bench-compare', () => {
  it('reads bench-join’s call lines, ignoring the rest', () => {
    const c = parseCalls(
      'building\ncall  1: first frame patient 318 ms, doctor 293 ms, SFU CPU 105 ms\nnoise\ncall 12: first frame patient 700 ms, doctor 650 ms, SFU CPU 99 ms\n',
    );
    expect(c).toEqual({ patient: [318, 700], doctor: [293, 650], cpu: [105, 99] });
  });

  it('takes percentiles by nearest rank, as bench-join does', () => {
    const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect([pct(xs, 50), pct(xs, 95), pct([42], 95)]).toEqual([5, 10, 42]);
  });

  it('prints both sides and their ratio', () => {
    const base = { patient: [300, 400], doctor: [300, 400], cpu: [100, 100] };
    const head = { patient: [600, 800], doctor: [300, 400], cpu: [100, 100] };
    const table = compareTable(base, 'abc', head, 'def');
    expect(table).toContain('| base (abc) | 2 | 300 / 300 ms | 400 / 400 ms | 100 ms |');
    expect(table).toContain('| ratio this / base | | 2.00 / 1.00 | 2.00 / 1.00 | |');
  });
});
