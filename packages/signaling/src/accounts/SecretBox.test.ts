import { describe, expect, it } from 'vitest';
import { SecretBox } from './SecretBox.ts';

const jwt = (kid: string) => ({ kid, secret: `${kid}-jwt-secret-0123456789abcdefghijklmnop` });

describe('SecretBox', () => {
  it('seals with AES-256-GCM: the value does not show, and opens only in its context', () => {
    const box = new SecretBox({ jwtKeys: [jwt('k1')] });
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'pr-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^v1\.jwt-k1\./);
    expect(box.open(sealed, 'pr-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'pr-2')).toThrow();
    expect(box.seal('JBSWY3DPEHPK3PXP', 'pr-1')).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses a tampered value', () => {
    const box = new SecretBox({ jwtKeys: [jwt('k1')] });
    const parts = box.seal('secret', 'pr-1').split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 1;
    parts[3] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), 'pr-1')).toThrow();
  });

  it('uses VISITA_DATA_KEY when set, and still opens what the JWT-derived key sealed', () => {
    const before = new SecretBox({ jwtKeys: [jwt('k1')] }).seal('old', 'pr-1');
    const box = new SecretBox({ dataKey: 'a data key of at least thirty-two characters', jwtKeys: [jwt('k1')] });
    expect(box.seal('new', 'pr-1')).toMatch(/^v1\.data\./);
    expect(box.open(before, 'pr-1')).toBe('old');
    // Another data key, or JWT keys that no longer list k1, cannot open it.
    expect(() => new SecretBox({ jwtKeys: [jwt('k2')] }).open(before, 'pr-1')).toThrow();
  });

  it('keeps opening values sealed with a JWT key that is still listed after a rotation', () => {
    const before = new SecretBox({ jwtKeys: [jwt('k1')] }).seal('s', 'pr-1');
    expect(new SecretBox({ jwtKeys: [jwt('k2'), jwt('k1')] }).open(before, 'pr-1')).toBe('s');
  });
});

describe('SecretBox hashes', () => {
  it('are keyed: the same message under another key gives another hash; every listed key is tried', () => {
    const a = new SecretBox({ jwtKeys: [jwt('k1')] });
    const h = a.hash('abcde12345');
    expect(h).toMatch(/^jwt-k1:[0-9a-f]{64}$/);
    expect(a.hash('abcde12345')).toBe(h);
    expect(new SecretBox({ jwtKeys: [jwt('k2')] }).hash('abcde12345')).not.toBe(h);
    expect(new SecretBox({ jwtKeys: [jwt('k2'), jwt('k1')] }).hashes('abcde12345')).toContain(h);
  });
});
