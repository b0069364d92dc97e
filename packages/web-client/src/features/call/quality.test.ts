import { describe, expect, it } from 'vitest';
import { qualityOf } from './quality.ts';

describe('qualityOf', () => {
  it('grades the network by loss and round trip, the worse of the two', () => {
    expect(qualityOf(0, 40)).toBe('good');
    expect(qualityOf(0.019, 299)).toBe('good');
    expect(qualityOf(0.02, 40)).toBe('fair');
    expect(qualityOf(0, 300)).toBe('fair');
    expect(qualityOf(0.1, 40)).toBe('poor');
    expect(qualityOf(0.03, 650)).toBe('poor');
    expect(qualityOf(0, null)).toBe('good');
  });
});
