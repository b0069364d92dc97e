import { describe, expect, it } from 'vitest';
import { newRecoveryCodes, normalizeRecoveryCode } from './recoveryCodes.ts';

describe('recovery codes', () => {
  it('are ten distinct xxxxx-xxxxx codes without ambiguous letters', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  it('are read back whatever the case, dashes and spaces; a TOTP code is not one', () => {
    expect(normalizeRecoveryCode(' AB3DE-fg7hk ')).toBe('ab3defg7hk');
    expect(normalizeRecoveryCode('ab3de fg7hk')).toBe('ab3defg7hk');
    expect(normalizeRecoveryCode('123456')).toBeNull();
    expect(normalizeRecoveryCode('ab3de-fg7hi')).toBeNull(); // i is not in the alphabet
  });
});
