import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { MAX_TRANSPORTS_PER_PEER } from '@visita/sfu';
import { addAccount } from '../src/accounts/manage.ts';
import { DEFAULT_PROBES_PER_PRACTITIONER } from '../src/usecases/NetworkProbes.ts';
import { attack } from './support/attackLog.ts';
import { TestStack, testAccountStore, type TestClient } from './support/stack.ts';

// A security review found that one admitted patient firing ~1000 media:createTransport took every
// port of the node's RTC range, and every other call on the node lost its media. The node now
// bounds what a participant holds; the refusal reaches the client as a typed ack.

let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

/** A consultation in a call: the practitioner and the patient joined, the patient admitted. */
async function inCall(): Promise<{
  consultationId: string;
  patientToken: string;
  doctor: TestClient;
  patient: TestClient;
}> {
  const doctorToken = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
  const doctor = await stack.connect(doctorToken);
  const patient = await stack.connect(patientToken);
  await doctor.request('consultation:join', { consultationId });
  await patient.request('consultation:join', { consultationId, displayName: 'Eve' });
  expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({ ok: true });
  return { consultationId, patientToken, doctor, patient };
}

describe('media resource limits per participant', () => {
  it('gives an admitted patient firing 200 media:createTransport at most 4 transports; the practitioner still gets theirs', async () => {
    const { consultationId, patientToken, doctor, patient } = await inCall();
    // 200 requests over four sockets of the same patient (one peer on the node), all at once.
    const sockets = [patient, ...(await Promise.all(Array.from({ length: 3 }, () => stack.connect(patientToken))))];
    const acks = await Promise.all(
      sockets.flatMap((s) =>
        Array.from({ length: 50 }, () => s.request('media:createTransport', { consultationId, direction: 'send' })),
      ),
    );
    const codes = acks.map((a) => (a.ok ? 'ok' : a.code));
    attack(
      'SFU media limits',
      '200 media:createTransport over 4 sockets of one patient',
      codes.filter((c) => c === 'ok').length === MAX_TRANSPORTS_PER_PEER,
    );
    expect(codes.filter((c) => c === 'ok')).toHaveLength(MAX_TRANSPORTS_PER_PEER);
    expect(codes.filter((c) => c === ErrorCode.LIMIT_EXCEEDED).length).toBeGreaterThan(0);
    // Nothing but the limit (or a per-socket request budget, should one refuse first).
    expect(codes.filter((c) => c !== 'ok' && c !== ErrorCode.LIMIT_EXCEEDED && c !== ErrorCode.RATE_LIMITED)).toEqual(
      [],
    );
    const room = () =>
      stack.signaling.sfu.client(stack.node.nodeId).then((c) => c.call('room.get', { roomId: consultationId }));
    expect((await room()).peers.find((p) => p.peerId === 'patient')?.transports).toBe(MAX_TRANSPORTS_PER_PEER);

    // The practitioner sets up their media as usual.
    await doctor.produceAudio(consultationId);
    expect(await doctor.request('media:createTransport', { consultationId, direction: 'recv' })).toMatchObject({
      ok: true,
    });
    const practitioner = (await room()).peers.find((p) => p.peerId === 'practitioner');
    expect(practitioner).toMatchObject({ transports: 2, producers: [{ kind: 'audio', paused: false }] });
  });

  it('leaves another consultation on the same node untouched', async () => {
    const first = await inCall();
    const acks = await Promise.all(
      Array.from({ length: 30 }, () =>
        first.patient.request('media:createTransport', { consultationId: first.consultationId, direction: 'recv' }),
      ),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(MAX_TRANSPORTS_PER_PEER);
    const second = await inCall();
    await second.patient.produceAudio(second.consultationId);
    await second.doctor.produceAudio(second.consultationId);
    const unaffected = await second.patient.request('media:createTransport', {
      consultationId: second.consultationId,
      direction: 'recv',
    });
    attack(
      'SFU media limits',
      '30 media:createTransport, then another call on the node',
      acks.filter((a) => a.ok).length === MAX_TRANSPORTS_PER_PEER && unaffected.ok,
    );
    expect(unaffected).toMatchObject({ ok: true });
  });
});

describe('network tests: each practitioner’s share of a node’s', () => {
  it('gives 16 links × 4 sockets of one practitioner 16 tests at once, not the node’s 64; another practice still gets one', async () => {
    const token = await stack.login();
    const links = await Promise.all(Array.from({ length: 16 }, () => stack.createConsultation(token)));
    const sockets = await Promise.all(
      links.flatMap((l) =>
        Array.from({ length: 4 }, async () => ({ id: l.consultationId, s: await stack.connect(l.patientToken) })),
      ),
    );
    const opens = await Promise.all(sockets.map(({ id, s }) => s.request('probe:open', { consultationId: id })));
    const codes = opens.map((a) => (a.ok ? 'ok' : a.code));
    // A patient of another practitioner on the same (only) node.
    const redis = new Redis(stack.redis.url);
    await addAccount(testAccountStore(redis), {
      email: 'other@clinic.test',
      name: 'Dr O',
      password: 'other password 12',
    });
    redis.disconnect();
    const other = await stack.createConsultation(await stack.loginAs('other@clinic.test', 'other password 12'));
    const otherPatient = await stack.connect(other.patientToken);
    const theirs = await otherPatient.request('probe:open', { consultationId: other.consultationId });
    attack(
      'SFU media limits',
      '64 network tests at once from 16 links of one practitioner (a node holds 64)',
      codes.filter((c) => c === 'ok').length === DEFAULT_PROBES_PER_PRACTITIONER && theirs.ok,
    );
    expect(codes.filter((c) => c === 'ok')).toHaveLength(DEFAULT_PROBES_PER_PRACTITIONER);
    expect(codes.filter((c) => c !== 'ok')).toEqual(
      Array(64 - DEFAULT_PROBES_PER_PRACTITIONER).fill(ErrorCode.LIMIT_EXCEEDED),
    );
    expect(theirs).toMatchObject({ ok: true });
    expect(stack.node.status().probes).toBe(DEFAULT_PROBES_PER_PRACTITIONER + 1);
    // A test closed gives its place back: one more for the practitioner, not two.
    const holder = sockets[opens.findIndex((a) => a.ok)]!;
    const held = opens.find((a) => a.ok)!;
    if (!held.ok) throw new Error('no test held');
    expect(await holder.s.request('probe:close', { probeId: held.data.probeId })).toMatchObject({ ok: true });
    const idle = sockets.filter((_, i) => !opens[i]!.ok);
    const again = await Promise.all(
      idle.slice(0, 2).map(({ id, s }) => s.request('probe:open', { consultationId: id })),
    );
    expect(again.map((a) => (a.ok ? 'ok' : a.code)).sort()).toEqual([ErrorCode.LIMIT_EXCEEDED, 'ok']);
    for (const { s } of sockets) s.socket.close();
    otherPatient.socket.close();
  });
});
