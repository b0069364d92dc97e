import { describe, expect, it } from 'vitest';
import { gradeNetwork, median, uploadEstimateKbps } from './networkGrade.ts';

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

describe('uploadEstimateKbps', () => {
  it("takes the browser's highest bandwidth estimate when it gives one", () => {
    const s = [
      { availableKbps: 300, bytesSent: 0, atMs: 0 },
      { availableKbps: 900, bytesSent: 10_000, atMs: 500 },
      { availableKbps: 700, bytesSent: 20_000, atMs: 1_000 },
    ];
    expect(uploadEstimateKbps(s)).toBe(900);
  });
  it('measures a browser without one (Firefox) by the highest rate it sent at between two looks', () => {
    const s = [
      { availableKbps: null, bytesSent: 0, atMs: 0 },
      { availableKbps: null, bytesSent: 25_000, atMs: 500 }, // 400 kbit/s
      { availableKbps: null, bytesSent: 75_000, atMs: 1_000 }, // 800 kbit/s
      { availableKbps: null, bytesSent: 100_000, atMs: 1_500 }, // 400 kbit/s
    ];
    expect(uploadEstimateKbps(s)).toBe(800);
    expect(gradeNetwork({ ...ok, uploadKbps: uploadEstimateKbps(s) })).toBe('good');
  });
  it('is null (not measured) with fewer than two looks, or counters that went back', () => {
    expect(uploadEstimateKbps([])).toBeNull();
    expect(uploadEstimateKbps([{ availableKbps: null, bytesSent: 5_000, atMs: 0 }])).toBeNull();
    expect(
      uploadEstimateKbps([
        { availableKbps: null, bytesSent: 5_000, atMs: 0 },
        { availableKbps: null, bytesSent: 1_000, atMs: 500 },
      ]),
    ).toBeNull();
  });
});
