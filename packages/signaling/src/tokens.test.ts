import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { Audience, ErrorCode, TOKEN_ISSUER } from '@visita/protocol';
import { TokenService } from './tokens.ts';

const secret = 'unit-secret-0123456789abcdef0123456789';
const tokens = new TokenService([{ kid: 'k1', secret }], 'sfu-secret-0123456789');
const sign = (payload: object, opts: jwt.SignOptions, key = secret) =>
  jwt.sign(payload, key, { algorithm: 'HS256', issuer: TOKEN_ISSUER, subject: 'x', keyid: 'k1', ...opts });

describe('TokenService', () => {
  it('round-trips practitioner and patient tokens', () => {
    expect(
      tokens.verify(tokens.practitioner({ sub: 'p1', name: 'Dr A', role: 'practitioner', sid: 's1' }, 60)),
    ).toEqual({
      kind: 'practitioner',
      sub: 'p1',
      name: 'Dr A',
      role: 'practitioner',
      sid: 's1',
    });
    expect(tokens.verify(tokens.patient({ sub: 'pt1', consultationId: 'c1', v: 2 }, 60))).toEqual({
      kind: 'patient',
      sub: 'pt1',
      consultationId: 'c1',
      v: 2,
    });
  });

  it('refuses a patient token whose kind claims practitioner', () => {
    const forged = sign(
      { kind: 'practitioner', name: 'X', role: 'ops' },
      { audience: Audience.PATIENT, expiresIn: 60 },
    );
    expect(() => tokens.verify(forged)).toThrow(expect.objectContaining({ code: ErrorCode.UNAUTHENTICATED }));
  });

  it('refuses HS384, an expired token and an SFU control token', () => {
    const hs384 = sign(
      { kind: 'practitioner', name: 'X', role: 'practitioner' },
      { algorithm: 'HS384', audience: Audience.PRACTITIONER, expiresIn: 60 },
    );
    expect(() => tokens.verify(hs384)).toThrow(/invalid token/);
    const expired = sign(
      { kind: 'practitioner', name: 'X', role: 'practitioner', exp: 1 },
      { audience: Audience.PRACTITIONER },
    );
    expect(() => tokens.verify(expired)).toThrow(/expired/);
    expect(() => tokens.verify(tokens.sfuControl('sig-1', 'node-1'))).toThrow(/invalid token/);
  });

  it('refuses a correctly signed token without an expiry', () => {
    const claims = { kind: 'practitioner', name: 'X', role: 'practitioner', sid: 's1' };
    const forever = sign(claims, { audience: Audience.PRACTITIONER });
    expect(jwt.decode(forever, { json: true })?.exp).toBeUndefined();
    expect(() => tokens.verify(forever)).toThrow(/invalid token/);
    expect(tokens.verify(sign(claims, { audience: Audience.PRACTITIONER, expiresIn: 60 }))).toMatchObject({ sub: 'x' });
  });

  it('rotates keys by kid: old tokens verify while their key is listed, and not after', () => {
    const old = new TokenService([{ kid: 'k1', secret }], 'sfu-secret-0123456789');
    const token = old.practitioner({ sub: 'p1', name: 'Dr A', role: 'practitioner', sid: 's1' }, 60);
    const rotated = new TokenService(
      [
        { kid: 'k2', secret: 'second-secret-0123456789abcdef0123' },
        { kid: 'k1', secret },
      ],
      'sfu-secret-0123456789',
    );
    expect(rotated.verify(token)).toMatchObject({ sub: 'p1' });
    const fresh = rotated.practitioner({ sub: 'p1', name: 'Dr A', role: 'practitioner', sid: 's1' }, 60);
    expect(jwt.decode(fresh, { complete: true })?.header.kid).toBe('k2');
    const dropped = new TokenService(
      [{ kid: 'k2', secret: 'second-secret-0123456789abcdef0123' }],
      'sfu-secret-0123456789',
    );
    expect(dropped.verify(fresh)).toMatchObject({ sub: 'p1' });
    expect(() => dropped.verify(token)).toThrow(/invalid token/);
  });

  it('refuses a token without a kid, or with a kid it does not know', () => {
    const noKid = jwt.sign({ kind: 'practitioner', name: 'X', role: 'practitioner' }, secret, {
      algorithm: 'HS256',
      issuer: TOKEN_ISSUER,
      audience: Audience.PRACTITIONER,
      subject: 'x',
      expiresIn: 60,
    });
    expect(() => tokens.verify(noKid)).toThrow(/invalid token/);
    expect(() =>
      tokens.verify(
        sign(
          { kind: 'practitioner', name: 'X', role: 'practitioner' },
          { audience: Audience.PRACTITIONER, expiresIn: 60, keyid: 'k9' },
        ),
      ),
    ).toThrow(/invalid token/);
  });
});
