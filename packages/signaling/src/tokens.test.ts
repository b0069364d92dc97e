import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { Audience, ErrorCode, TOKEN_ISSUER } from '@visita/protocol';
import { TokenService } from './tokens.ts';

const secret = 'unit-secret-0123456789abcdef0123456789';
const tokens = new TokenService(secret, 'sfu-secret-0123456789');

describe('TokenService', () => {
  it('round-trips practitioner and patient tokens', () => {
    expect(tokens.verify(tokens.practitioner({ sub: 'p1', name: 'Dr A' }, 60))).toEqual({ kind: 'practitioner', sub: 'p1', name: 'Dr A' });
    expect(tokens.verify(tokens.patient({ sub: 'pt1', consultationId: 'c1' }, 60))).toEqual({ kind: 'patient', sub: 'pt1', consultationId: 'c1' });
  });

  it('refuses a patient token whose kind claims practitioner', () => {
    const forged = jwt.sign({ kind: 'practitioner', name: 'X' }, secret, { algorithm: 'HS256', issuer: TOKEN_ISSUER, audience: Audience.PATIENT, subject: 'x', expiresIn: 60 });
    expect(() => tokens.verify(forged)).toThrow(expect.objectContaining({ code: ErrorCode.UNAUTHENTICATED }));
  });

  it('refuses HS384, an expired token and an SFU control token', () => {
    const hs384 = jwt.sign({ kind: 'practitioner', name: 'X' }, secret, { algorithm: 'HS384', issuer: TOKEN_ISSUER, audience: Audience.PRACTITIONER, subject: 'x', expiresIn: 60 });
    expect(() => tokens.verify(hs384)).toThrow(/invalid token/);
    const expired = jwt.sign({ kind: 'practitioner', name: 'X', exp: 1 }, secret, { algorithm: 'HS256', issuer: TOKEN_ISSUER, audience: Audience.PRACTITIONER, subject: 'x' });
    expect(() => tokens.verify(expired)).toThrow(/expired/);
    expect(() => tokens.verify(tokens.sfuControl('sig-1'))).toThrow(/invalid token/);
  });
});
