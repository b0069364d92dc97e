import { describe, expect, it } from 'vitest';
import { AVERAGE_CONSULTATION_MS, estimateWaitMs, practitionerStatus, typicalConsultationMs } from './queue.ts';

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

describe('typical consultation length', () => {
  const min = 60_000;
  it('is the default until three consultations are measured, then their median', () => {
    expect(typicalConsultationMs([])).toBe(AVERAGE_CONSULTATION_MS);
    expect(typicalConsultationMs([4 * min, 6 * min])).toBe(AVERAGE_CONSULTATION_MS);
    expect(typicalConsultationMs([4 * min, 6 * min, 5 * min])).toBe(5 * min);
    expect(typicalConsultationMs([4 * min, 6 * min, 5 * min, 7 * min])).toBe(5.5 * min);
  });
  it('is not pulled by one very long call, and ignores calls under 30 s or over 4 h', () => {
    expect(typicalConsultationMs([5 * min, 5 * min, 6 * min, 180 * min])).toBe(5.5 * min);
    expect(typicalConsultationMs([5 * min, 6 * min, 2_000, 10_000, 300 * min])).toBe(AVERAGE_CONSULTATION_MS);
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
