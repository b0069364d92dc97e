import { describe, expect, it } from 'vitest';
import {
  clientRequestSchemas,
  DtlsParameters,
  HandshakeAuth,
  Id,
  RtpParameters,
  SfuNodeRecord,
  SfuRequestSchemas,
} from './index.ts';

describe('ids', () => {
  it('accepts url-safe ids and refuses anything that could break a key or a path', () => {
    expect(Id.safeParse('abc_DEF-123').success).toBe(true);
    for (const bad of ['', 'a'.repeat(65), '../x', 'a b', 'a:b', 'é', 42, null])
      expect(Id.safeParse(bad).success).toBe(false);
  });
});

describe('client request schemas', () => {
  it('has a schema for every request', () => {
    expect(Object.keys(clientRequestSchemas).sort()).toEqual([
      'chat:history',
      'chat:send',
      'consultation:admit',
      'consultation:decline',
      'consultation:hangUp',
      'consultation:join',
      'media:connectTransport',
      'media:consume',
      'media:createTransport',
      'media:decoders',
      'media:iceServers',
      'media:produce',
      'media:producers',
      'media:restartIce',
      'media:resumeConsumer',
      'media:routerCapabilities',
      'media:setProducerPaused',
      'probe:close',
      'probe:connect',
      'probe:open',
      'probe:produce',
      'queue:watch',
      'waiting:message',
    ]);
  });
  it("validates a network test's id and the device check's network grade", () => {
    const close = clientRequestSchemas['probe:close'];
    expect(close.safeParse({ probeId: 'probe-1b4e28ba-2fa1-11d2-883f-0016d3cca427' }).success).toBe(true);
    for (const probeId of ['1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'probe-../../etc', 'probe-', 'consultation-1'])
      expect(close.safeParse({ probeId }).success, probeId).toBe(false);
    const join = clientRequestSchemas['consultation:join'];
    const check = (network: unknown) =>
      join.safeParse({ consultationId: 'c1', deviceCheck: { camera: true, microphone: true, network } }).success;
    expect(check('poor')).toBe(true);
    expect(check(undefined)).toBe(true);
    expect(check('excellent')).toBe(false);
  });
  it('validates join', () => {
    const s = clientRequestSchemas['consultation:join'];
    expect(s.safeParse({ consultationId: 'c1' }).success).toBe(true);
    expect(s.safeParse({ consultationId: 'c1', displayName: '  Alice  ' })).toMatchObject({
      success: true,
      data: { displayName: 'Alice' },
    });
    expect(s.safeParse({ consultationId: 'c1', displayName: '   ' }).success).toBe(false);
    expect(s.safeParse({ consultationId: 'c1', displayName: 'x'.repeat(81) }).success).toBe(false);
    expect(s.safeParse({}).success).toBe(false);
  });
  it('validates transport directions and media kinds', () => {
    expect(
      clientRequestSchemas['media:createTransport'].safeParse({ consultationId: 'c', direction: 'send' }).success,
    ).toBe(true);
    expect(
      clientRequestSchemas['media:createTransport'].safeParse({ consultationId: 'c', direction: 'both' }).success,
    ).toBe(false);
    const produce = clientRequestSchemas['media:produce'];
    const base = {
      consultationId: 'c',
      transportId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000 }] },
    };
    expect(produce.safeParse({ ...base, kind: 'audio' }).success).toBe(true);
    expect(produce.safeParse({ ...base, kind: 'screen' }).success).toBe(false);
    expect(produce.safeParse({ ...base, kind: 'audio', rtpParameters: { codecs: [] } }).success).toBe(false);
    expect(produce.safeParse({ ...base, kind: 'audio', transportId: 'nope' }).success).toBe(false);
  });
});

describe('media parameter schemas', () => {
  it('accepts real DTLS parameters and refuses unknown algorithms', () => {
    expect(
      DtlsParameters.safeParse({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] }).success,
    ).toBe(true);
    expect(DtlsParameters.safeParse({ fingerprints: [] }).success).toBe(false);
    expect(DtlsParameters.safeParse({ fingerprints: [{ algorithm: 'md5', value: 'AB' }] }).success).toBe(false);
  });
  it('bounds RTP parameters', () => {
    const codec = { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 };
    expect(RtpParameters.safeParse({ codecs: [codec] }).success).toBe(true);
    expect(RtpParameters.safeParse({ codecs: [{ ...codec, payloadType: 300 }] }).success).toBe(false);
    expect(RtpParameters.safeParse({ codecs: Array(33).fill(codec) }).success).toBe(false);
  });
});

describe('handshake and SFU contract', () => {
  it('requires a token and a protocol version', () => {
    expect(HandshakeAuth.safeParse({ token: 't', protocolVersion: 1 }).success).toBe(true);
    expect(HandshakeAuth.safeParse({ token: 't' }).success).toBe(false);
    expect(HandshakeAuth.safeParse({ token: '', protocolVersion: 1 }).success).toBe(false);
  });
  it('validates SFU requests and node records', () => {
    expect(SfuRequestSchemas['peer.close'].safeParse({ roomId: 'r', peerId: 'patient' }).success).toBe(true);
    expect(SfuRequestSchemas['peer.close'].safeParse({ roomId: 'r' }).success).toBe(false);
    const rec = {
      nodeId: 'n1',
      controlUrl: 'http://127.0.0.1:4443',
      state: 'serving',
      workers: 2,
      rooms: 0,
      consumers: 0,
      cpu: 0.1,
      updatedAt: 1,
      maxConsumers: 500,
    };
    expect(SfuNodeRecord.safeParse(rec).success).toBe(true);
    expect(SfuNodeRecord.safeParse({ ...rec, state: 'gone' }).success).toBe(false);
  });
});
