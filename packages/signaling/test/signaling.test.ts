import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audience, ErrorCode, PROTOCOL_VERSION, TOKEN_ISSUER, type RtpCapabilities } from '@visita/protocol';
import { audioRtpParameters, videoRtpParameters } from '../../sfu/test/fixtures.ts';
import { JWT_KID, JWT_SECRET, TestStack } from './support/stack.ts';

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

describe('handshake authentication', () => {
  it('accepts a valid practitioner token and a valid patient token', async () => {
    const doctor = await stack.login();
    const { patientToken } = await stack.createConsultation(doctor);
    await expect(refusal(stack.connect(doctor))).resolves.toBe('connected');
    await expect(refusal(stack.connect(patientToken))).resolves.toBe('connected');
  });

  it('refuses expired, wrong-audience, wrong-issuer, tampered, unsigned and foreign-key tokens', async () => {
    const sign = (claims: object, opts: jwt.SignOptions, secret = JWT_SECRET) =>
      jwt.sign({ kind: 'practitioner', name: 'X', role: 'practitioner', sid: 'sess-1', ...claims }, secret, {
        algorithm: 'HS256',
        keyid: JWT_KID,
        issuer: TOKEN_ISSUER,
        audience: Audience.PRACTITIONER,
        subject: 'demo-practitioner',
        expiresIn: 60,
        ...opts,
      });
    const expired = jwt.sign(
      { kind: 'practitioner', name: 'X', role: 'practitioner', sid: 'sess-1', exp: Math.floor(Date.now() / 1000) - 10 },
      JWT_SECRET,
      {
        algorithm: 'HS256',
        keyid: JWT_KID,
        issuer: TOKEN_ISSUER,
        audience: Audience.PRACTITIONER,
        subject: 'demo-practitioner',
      },
    );
    const valid = await stack.login();
    const [h, p, s] = valid.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tamperedPayload = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const cases = {
      expired,
      wrongAudience: sign({}, { audience: Audience.SFU_CONTROL }),
      patientAudienceForPractitioner: sign({}, { audience: Audience.PATIENT }),
      wrongIssuer: sign({}, { issuer: 'not-visita' }),
      otherSecret: sign({}, {}, 'another-secret-another-secret-another-secret'),
      tampered: `${h}.${tamperedPayload}.${s}`,
      unsigned,
      garbage: 'not-a-jwt',
    };
    for (const [name, token] of Object.entries(cases)) {
      expect([name, await refusal(stack.connect(token))]).toEqual([name, ErrorCode.UNAUTHENTICATED]);
    }
    await expect(refusal(stack.connect(valid, PROTOCOL_VERSION + 1))).resolves.toBe(ErrorCode.PROTOCOL_MISMATCH);
  });

  it('refuses the HTTP API without a practitioner token', async () => {
    const res = await fetch(`${stack.signalingUrl}/api/consultations`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, code: ErrorCode.UNAUTHENTICATED });
    const bad = await fetch(`${stack.signalingUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"doctor@visita.test","password":"wrong"}',
    });
    expect(bad.status).toBe(401);
  });
});

describe('join, admit, media and hang-up', () => {
  it('runs a whole consultation and frees the router on hang-up', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken, patientLink } = await stack.createConsultation(doctorToken);
    expect(patientLink).toBe(`https://visita.test/c/${consultationId}#t=${patientToken}`);
    const doctor = await stack.connect(doctorToken);
    const patient = await stack.connect(patientToken);

    const joinedDoctor = await doctor.request('consultation:join', { consultationId });
    expect(joinedDoctor).toMatchObject({
      ok: true,
      data: { state: 'waiting', patientPresent: false, practitionerPresent: true },
    });
    // Admitting before the patient arrives is refused.
    expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });

    const seen = doctor.next('consultation:updated');
    const joined = await patient.request('consultation:join', { consultationId, displayName: 'Alice Martin' });
    expect(joined).toMatchObject({ ok: true, data: { state: 'waiting', patientPresent: true } });
    expect(await seen).toMatchObject({ patientPresent: true, patientName: 'Alice Martin' });

    // The patient cannot admit themself, nor touch media before admission.
    expect(await patient.request('consultation:admit', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.FORBIDDEN,
    });
    expect(await patient.request('media:routerCapabilities', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });

    const admittedP = patient.next('consultation:admitted');
    const admit = await doctor.request('consultation:admit', { consultationId });
    expect(admit).toMatchObject({ ok: true, data: { state: 'in_call' } });
    expect(await admittedP).toMatchObject({ state: 'in_call' });
    // Admitting twice is refused.
    expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });
    expect(stack.node.roomIds).toEqual([consultationId]);

    const caps = await patient.request('media:routerCapabilities', { consultationId });
    if (!caps.ok) throw new Error(caps.message);
    const send = await patient.request('media:createTransport', { consultationId, direction: 'send' });
    if (!send.ok) throw new Error(send.message);
    const newProducer = doctor.next('media:newProducer');
    const produced = await patient.request('media:produce', {
      consultationId,
      transportId: send.data.id,
      kind: 'video',
      rtpParameters: videoRtpParameters,
    });
    if (!produced.ok) throw new Error(produced.message);
    expect(await newProducer).toEqual({
      producerId: produced.data.producerId,
      kind: 'video',
      role: 'patient',
      paused: false,
    });
    await patient.request('media:produce', {
      consultationId,
      transportId: send.data.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });

    // The doctor cannot use the patient's transport.
    expect(
      await doctor.request('media:produce', {
        consultationId,
        transportId: send.data.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters,
      }),
    ).toMatchObject({ ok: false, code: ErrorCode.NOT_FOUND });

    const listed = await doctor.request('media:producers', { consultationId });
    expect(listed.ok && listed.data.producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    const recv = await doctor.request('media:createTransport', { consultationId, direction: 'recv' });
    if (!recv.ok) throw new Error(recv.message);
    const consumed = await doctor.request('media:consume', {
      consultationId,
      transportId: recv.data.id,
      producerId: produced.data.producerId,
      rtpCapabilities: caps.data.rtpCapabilities as RtpCapabilities,
    });
    expect(consumed).toMatchObject({ ok: true, data: { kind: 'video', producerId: produced.data.producerId } });
    if (!consumed.ok) throw new Error(consumed.message);
    expect(await doctor.request('media:resumeConsumer', { consultationId, consumerId: consumed.data.id })).toEqual({
      ok: true,
      data: { resumed: true },
    });

    const endedP = patient.next('consultation:ended');
    const endedD = doctor.next('consultation:ended');
    expect(await patient.request('consultation:hangUp', { consultationId })).toMatchObject({
      ok: true,
      data: { state: 'ended' },
    });
    // Who ended it and the call's length (admission to end) go with the reason.
    const ended = { consultationId, reason: 'hung_up', by: 'patient', callMs: expect.any(Number) };
    expect(await endedP).toEqual(ended);
    expect(await endedD).toEqual(ended);
    expect(stack.node.roomIds).toEqual([]);
    for (const w of stack.pool.workers) expect((await w.dump()).routerIds).toEqual([]);
    expect(await patient.request('consultation:join', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });
    expect(await doctor.request('consultation:hangUp', { consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });
  });

  it("keeps each side's video decoders with the room and tells the other side (a sender picks a codec both decode)", async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const doctor = await stack.connect(doctorToken);
    const patient = await stack.connect(patientToken);
    await doctor.request('consultation:join', { consultationId });
    await patient.request('consultation:join', { consultationId, displayName: 'Codec Carla' });
    // Not in a call yet: refused, like every media request.
    expect(await patient.request('media:decoders', { consultationId, video: ['video/vp8'] })).toMatchObject({
      ok: false,
      code: ErrorCode.INVALID_STATE,
    });
    await doctor.request('consultation:admit', { consultationId });

    // The patient (an iPhone) declares first: nothing known of the practitioner yet.
    const toldDoctor = doctor.next('media:peerDecoders');
    expect(await patient.request('media:decoders', { consultationId, video: ['video/vp8', 'video/h264'] })).toEqual({
      ok: true,
      data: { peer: null },
    });
    expect(await toldDoctor).toEqual({ consultationId, video: ['video/vp8', 'video/h264'] });
    // The practitioner (no H264) learns the patient's in the answer; the patient is told theirs.
    const toldPatient = patient.next('media:peerDecoders');
    expect(await doctor.request('media:decoders', { consultationId, video: ['video/vp8'] })).toEqual({
      ok: true,
      data: { peer: ['video/vp8', 'video/h264'] },
    });
    expect(await toldPatient).toEqual({ consultationId, video: ['video/vp8'] });

    // Bad lists are refused and change nothing: what the patient is told next is still VP8 only.
    for (const video of [['audio/opus'], ['video/'], ['video/vp8; drop'], Array(17).fill('video/vp8'), 'video/vp8']) {
      expect(await doctor.request('media:decoders', { consultationId, video } as never)).toMatchObject({
        ok: false,
        code: ErrorCode.BAD_REQUEST,
      });
    }
    expect(await patient.request('media:decoders', { consultationId, video: ['video/vp8', 'video/h264'] })).toEqual({
      ok: true,
      data: { peer: ['video/vp8'] },
    });
    await doctor.request('consultation:hangUp', { consultationId });
  });

  it('places the room again when its worker dies mid-call, and has both sides rebuild their media', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const doctor = await stack.connect(doctorToken);
    const patient = await stack.connect(patientToken);
    await doctor.request('consultation:join', { consultationId });
    await patient.request('consultation:join', { consultationId, displayName: 'Bob' });
    await doctor.request('consultation:admit', { consultationId });
    const before = await patient.request('media:createTransport', { consultationId, direction: 'send' });
    if (!before.ok) throw new Error(before.message);

    const againP = patient.next('consultation:admitted');
    const againD = doctor.next('consultation:admitted');
    const victim = stack.pool.workers[0]!;
    process.kill(victim.pid, 'SIGKILL');
    expect(await againP).toMatchObject({ consultationId, state: 'in_call' });
    expect(await againD).toMatchObject({ consultationId, state: 'in_call' });
    expect(stack.node.roomIds).toContain(consultationId);
    expect(stack.pool.workers.map((w) => w.pid)).not.toContain(victim.pid);
    // The old transport died with the worker; a new one works.
    expect(
      await patient.request('media:connectTransport', {
        consultationId,
        transportId: before.data.id,
        dtlsParameters: before.data.dtlsParameters,
      }),
    ).toMatchObject({ ok: false, code: ErrorCode.NOT_FOUND });
    expect(await patient.request('media:createTransport', { consultationId, direction: 'send' })).toMatchObject({
      ok: true,
    });
    await doctor.request('consultation:hangUp', { consultationId });
  });

  it('answers bad input with typed errors and changes nothing', async () => {
    const doctorToken = await stack.login();
    const a = await stack.createConsultation(doctorToken);
    const b = await stack.createConsultation(doctorToken);
    const patient = await stack.connect(a.patientToken);
    const doctor = await stack.connect(doctorToken);

    expect(await patient.request('consultation:join', { consultationId: b.consultationId })).toMatchObject({
      ok: false,
      code: ErrorCode.FORBIDDEN,
    });
    expect(await patient.raw('consultation:join', null)).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST });
    expect(await patient.raw('consultation:join', { consultationId: '../../etc' })).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_REQUEST,
    });
    expect(
      await patient.raw('consultation:join', { consultationId: a.consultationId, displayName: 'x'.repeat(500) }),
    ).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_REQUEST,
    });
    expect(
      await patient.raw('media:createTransport', { consultationId: a.consultationId, direction: 'sideways' }),
    ).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_REQUEST,
    });
    expect(await doctor.request('consultation:join', { consultationId: 'doesnotexist' })).toMatchObject({
      ok: false,
      code: ErrorCode.NOT_FOUND,
    });
    // None of that joined anyone: the consultation is still waiting with no patient present.
    const view = await doctor.request('consultation:join', { consultationId: a.consultationId });
    expect(view).toMatchObject({ ok: true, data: { state: 'waiting', patientPresent: false, patientName: null } });
  });
});
