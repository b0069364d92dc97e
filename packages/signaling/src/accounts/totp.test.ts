import { Secret, TOTP as Totp } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { newTotpSecret, totpUri, verifyTotp } from './totp.ts';

// RFC 6238 appendix B's SHA-1 seed, "12345678901234567890".
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;
const codeAt = (secret: string, ms: number) =>
  new Totp({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: ms });

describe('verifyTotp', () => {
  const t0 = 1_111_111_109_000; // RFC 6238 test time 1111111109 s: step 37037036, code 081804 (last 6 of 07081804)
  const step0 = Math.floor(t0 / 30_000);

  it('accepts the RFC 6238 test vector and returns its time step', () => {
    expect(codeAt(RFC_SECRET, t0)).toBe('081804');
    expect(verifyTotp(RFC_SECRET, '081804', t0, 0)).toBe(step0);
  });

  it('accepts one step either side, not two', () => {
    const code = codeAt(RFC_SECRET, t0);
    expect(verifyTotp(RFC_SECRET, code, t0 + 30_000, 0)).toBe(step0); // typed 30 s late
    expect(verifyTotp(RFC_SECRET, code, t0 - 30_000, 0)).toBe(step0); // the phone's clock is ahead
    expect(verifyTotp(RFC_SECRET, code, t0 + 60_000, 0)).toBeNull();
    expect(verifyTotp(RFC_SECRET, code, t0 - 60_000, 0)).toBeNull();
  });

  it('refuses a step already used (replay), and any earlier step', () => {
    const code = codeAt(RFC_SECRET, t0);
    const used = verifyTotp(RFC_SECRET, code, t0, 0)!;
    expect(verifyTotp(RFC_SECRET, code, t0, used)).toBeNull();
    expect(verifyTotp(RFC_SECRET, code, t0 + 30_000, used)).toBeNull();
    expect(verifyTotp(RFC_SECRET, codeAt(RFC_SECRET, t0 - 30_000), t0, used)).toBeNull();
    // The next step's code is still good.
    expect(verifyTotp(RFC_SECRET, codeAt(RFC_SECRET, t0 + 30_000), t0 + 30_000, used)).toBe(used + 1);
  });

  it('refuses a wrong code and another secret’s code', () => {
    const code = codeAt(RFC_SECRET, t0);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp(RFC_SECRET, wrong, t0, 0)).toBeNull();
    expect(verifyTotp(newTotpSecret(), code, t0, 0)).toBeNull();
  });
});

describe('totpUri', () => {
  it('is the otpauth URI of a SHA-1, 6-digit, 30 s TOTP for Visita and the email', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(totpUri(secret, 'dr.house@example.org'));
    expect(`${uri.protocol}//${uri.host}`).toBe('otpauth://totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Visita:dr.house@example.org');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Visita',
      secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
