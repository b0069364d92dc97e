import { describe, expect, it } from 'vitest';
import { boundedLog, type Log } from '../scripts/log.ts';

describe('boundedLog', () => {
  it('writes at most perWindow lines of one message per window, then says how many were left out', () => {
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const sink: Log = (level, msg, fields) => void lines.push([level, msg, fields]);
    let now = 0;
    const log = boundedLog(sink, { perWindow: 3, windowMs: 1_000 }, () => now);
    for (let i = 0; i < 10; i++) log('warn', 'request target refused', { i });
    log('warn', 'upgrade refused');
    log('error', 'request failed');
    log('error', 'request failed');
    expect(lines.map(([, msg]) => msg)).toEqual([
      'request target refused',
      'request target refused',
      'request target refused',
      'upgrade refused',
      'request failed',
      'request failed',
    ]);
    now = 1_000;
    log('warn', 'request target refused', { i: 10 });
    expect(lines.slice(-2)).toEqual([
      ['warn', 'log lines left out', { msg: 'request target refused', suppressed: 7, windowMs: 1_000 }],
      ['warn', 'request target refused', { i: 10 }],
    ]);
  });
});
