import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audience, ErrorCode, TOKEN_ISSUER, clientRequestSchemas, type ClientRequestName } from '@visita/protocol';
import { audioRtpParameters } from '../../sfu/test/fixtures.ts';
import { attack } from './support/attackLog.ts';
import { JWT_KID, JWT_SECRET, TestStack, type TestClient } from './support/stack.ts';

// The JWT attack suite and the authorization matrix: every attempt is refused with a typed error.
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'connected',
    (e: Error & { data?: { code?: string } }) => e.data?.code ?? e.message,
  );
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('JWT attacks on the handshake', () => {
  it('refuses alg none, RS256, HS/RS confusion, a foreign kid, a forged role and a missing protocol version', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const claims = { kind: 'practitioner', name: 'Mallory', role: 'ops', sid: 'sess-1' };
    const opts = {
      issuer: TOKEN_ISSUER,
      audience: Audience.PRACTITIONER,
      subject: 'demo-practitioner',
      expiresIn: 60,
      keyid: JWT_KID,
    } as const;
    const now = Math.floor(Date.now() / 1000);
    const attacks: Record<string, string> = {
      algNone: `${b64({ alg: 'none', typ: 'JWT', kid: JWT_KID })}.${b64({ ...claims, iss: TOKEN_ISSUER, aud: Audience.PRACTITIONER, sub: 'x', iat: now, exp: now + 60 })}.`,
      algNoneUpper: `${b64({ alg: 'NONE', typ: 'JWT', kid: JWT_KID })}.${b64({ ...claims, iss: TOKEN_ISSUER, aud: Audience.PRACTITIONER, sub: 'x', exp: now + 60 })}.`,
      rs256: jwt.sign(claims, privateKey, { ...opts, algorithm: 'RS256' }),
      // HS/RS confusion: an HS256 token keyed with a public key the attacker knows.
      hsWithPublicKey: jwt.sign(claims, pem, { ...opts, algorithm: 'HS256' }),
      foreignKid: jwt.sign(claims, JWT_SECRET, { ...opts, algorithm: 'HS256', keyid: 'attacker' }),
      patientClaimsPractitionerKind: jwt.sign(
        { kind: 'practitioner', name: 'x', role: 'ops', sid: 'sess-1' },
        JWT_SECRET,
        {
          ...opts,
          algorithm: 'HS256',
          audience: Audience.PATIENT,
        },
      ),
      practitionerRoleInvalid: jwt.sign({ ...claims, role: 'root' }, JWT_SECRET, { ...opts, algorithm: 'HS256' }),
      notYetValid: jwt.sign({ ...claims, nbf: now + 3600 }, JWT_SECRET, { ...opts, algorithm: 'HS256' }),
    };
    for (const [name, token] of Object.entries(attacks)) {
      const outcome = await refusal(stack.connect(token));
      attack('JWT on the handshake', name, outcome === ErrorCode.UNAUTHENTICATED);
      expect([name, outcome]).toEqual([name, ErrorCode.UNAUTHENTICATED]);
    }
    const valid = await stack.login();
    const noVersion = await refusal(stack.connect(valid, Number.NaN));
    attack('JWT on the handshake', 'valid token, no protocol version', noVersion === ErrorCode.UNAUTHENTICATED);
    expect(noVersion).toBe(ErrorCode.UNAUTHENTICATED);
  });
});

describe('authorization of every event', () => {
  let mine: { consultationId: string; patientToken: string };
  let other: { consultationId: string; patientToken: string };
  let patient: TestClient;
  /** A network test held by the other consultation's patient: its real id, tried by someone else. */
  let otherProbeId: string;

  beforeAll(async () => {
    const token = await stack.login();
    mine = await stack.createConsultation(token);
    other = await stack.createConsultation(token);
    patient = await stack.connect(mine.patientToken);
    await patient.request('consultation:join', { consultationId: mine.consultationId, displayName: 'P' });
    const otherPatient = await stack.connect(other.patientToken);
    const probe = await otherPatient.request('probe:open', { consultationId: other.consultationId });
    if (!probe.ok) throw new Error(probe.message);
    otherProbeId = probe.data.probeId;
  });

  const payloadFor = (name: ClientRequestName, consultationId: string): unknown => {
    const t = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    const by: Record<ClientRequestName, unknown> = {
      'consultation:join': { consultationId },
      'consultation:admit': { consultationId },
      'consultation:hangUp': { consultationId },
      'consultation:decline': { consultationId, reason: 'r' },
      'waiting:message': { consultationId, text: 'hi' },
      'queue:watch': {},
      'chat:send': { consultationId, text: 'hello' },
      'chat:history': { consultationId },
      'media:routerCapabilities': { consultationId },
      'media:decoders': { consultationId, video: ['video/VP8'] },
      'media:createTransport': { consultationId, direction: 'send' },
      'media:connectTransport': {
        consultationId,
        transportId: t,
        dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      },
      'media:restartIce': { consultationId, transportId: t },
      'media:iceServers': { consultationId },
      'media:produce': { consultationId, transportId: t, kind: 'audio', rtpParameters: audioRtpParameters },
      'media:producers': { consultationId },
      'media:consume': { consultationId, transportId: t, producerId: t, rtpCapabilities: {} },
      'media:resumeConsumer': { consultationId, consumerId: t },
      'media:setProducerPaused': { consultationId, producerId: t, paused: true },
      // A network test is its connection's: another's real id is refused whoever the consultation.
      'probe:open': { consultationId },
      'probe:connect': {
        probeId: otherProbeId,
        dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      },
      'probe:produce': { probeId: otherProbeId, kind: 'audio', rtpParameters: audioRtpParameters },
      'probe:close': { probeId: otherProbeId },
    };
    return by[name];
  };

  it('refuses a patient token on another consultation, for every event', async () => {
    for (const name of Object.keys(clientRequestSchemas) as ClientRequestName[]) {
      if (name === 'queue:watch') continue;
      const r = await patient.raw(name, payloadFor(name, other.consultationId));
      attack(
        'authorization matrix',
        `patient, another consultation: ${name}`,
        !r.ok && /^(FORBIDDEN|NOT_FOUND)$/.test(r.code),
      );
      expect([name, r.ok ? 'ok' : r.code]).toEqual([name, expect.stringMatching(/^(FORBIDDEN|NOT_FOUND)$/)]);
    }
  });

  it('refuses practitioner-only events to a patient, on their own consultation', async () => {
    for (const name of ['consultation:admit', 'consultation:decline', 'waiting:message', 'queue:watch'] as const) {
      const r = await patient.raw(name, payloadFor(name, mine.consultationId));
      attack('authorization matrix', `patient, practitioner-only: ${name}`, !r.ok && r.code === ErrorCode.FORBIDDEN);
      expect([name, r.ok ? 'ok' : r.code]).toEqual([name, ErrorCode.FORBIDDEN]);
    }
  });

  it('refuses a practitioner on another practitioner’s consultation', async () => {
    const mallory = jwt.sign({ kind: 'practitioner', name: 'Other', role: 'practitioner', sid: 'sess-1' }, JWT_SECRET, {
      algorithm: 'HS256',
      keyid: JWT_KID,
      issuer: TOKEN_ISSUER,
      audience: Audience.PRACTITIONER,
      subject: 'pr-someone-else',
      expiresIn: 60,
    });
    const client = await stack.connect(mallory);
    for (const name of Object.keys(clientRequestSchemas) as ClientRequestName[]) {
      if (name === 'queue:watch') continue;
      const r = await client.raw(name, payloadFor(name, mine.consultationId));
      attack('authorization matrix', `another practitioner: ${name}`, !r.ok && r.code === ErrorCode.NOT_FOUND);
      expect([name, r.ok ? 'ok' : r.code]).toEqual([name, ErrorCode.NOT_FOUND]);
    }
    // Their own queue is empty: nothing of the other practitioner's leaks.
    expect(await client.request('queue:watch', {})).toMatchObject({ ok: true, data: { entries: [] } });
    // And nothing changed for the real consultation.
    expect(await patient.request('consultation:join', { consultationId: mine.consultationId })).toMatchObject({
      ok: true,
      data: { state: 'waiting' },
    });
  });
});
