import { describe, expect, it } from 'vitest';
import { gradeNetwork, median } from './networkGrade.ts';

const ok = { connected: true, rttMs: 40, lossRatio: 0, uploadKbps: 1_500 };

describe('gradeNetwork', () => {
  it('is failed when the media server was never reached, whatever else is known', () => {
    expect(gradeNetwork({ ...ok, connected: false })).toBe('failed');
  });
  it('grades the round trip and loss as the call does', () => {
    expect(gradeNetwork(ok)).toBe('good');
    expect(gradeNetwork({ ...ok, rttMs: 350 })).toBe('fair');
    expect(gradeNetwork({ ...ok, lossRatio: 0.03 })).toBe('fair');
    expect(gradeNetwork({ ...ok, rttMs: 700 })).toBe('poor');
    expect(gradeNetwork({ ...ok, lossRatio: 0.12 })).toBe('poor');
  });
  it('takes the worse of the path and the upload', () => {
    expect(gradeNetwork({ ...ok, uploadKbps: 399 })).toBe('fair');
    expect(gradeNetwork({ ...ok, uploadKbps: 149 })).toBe('poor');
    expect(gradeNetwork({ ...ok, rttMs: 700, uploadKbps: 5_000 })).toBe('poor');
    expect(gradeNetwork({ ...ok, uploadKbps: null, lossRatio: null, rttMs: null })).toBe('good');
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 20, 30])).toBe(25);
  });
});
