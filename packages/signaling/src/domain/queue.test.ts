import { describe, expect, it } from 'vitest';
import { AVERAGE_CONSULTATION_MS, estimateWaitMs, practitionerStatus } from './queue.ts';

describe('wait estimate', () => {
  it('is zero for the first patient of a free practitioner, and grows by one consultation per patient ahead', () => {
    expect(estimateWaitMs(1, 'online')).toBe(0);
    expect(estimateWaitMs(3, 'online')).toBe(2 * AVERAGE_CONSULTATION_MS);
    expect(estimateWaitMs(3, 'away')).toBe(2 * AVERAGE_CONSULTATION_MS);
  });
  it('adds half a consultation while the practitioner is in a call', () => {
    expect(estimateWaitMs(1, 'in_call', 600)).toBe(300);
    expect(estimateWaitMs(2, 'in_call', 600)).toBe(900);
  });
});

describe('practitioner status', () => {
  it('is in_call first, then online when connected, else away', () => {
    expect(practitionerStatus(true, true)).toBe('in_call');
    expect(practitionerStatus(false, true)).toBe('in_call');
    expect(practitionerStatus(true, false)).toBe('online');
    expect(practitionerStatus(false, false)).toBe('away');
  });
});
