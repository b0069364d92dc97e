import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AckOk, ConsultationList } from '@visita/protocol';
import { MultiStack } from './support/multiStack.ts';
import { seedAccount, TestStack, waitForUsage } from './support/stack.ts';

// One way a consultation ends, whatever the media node does; and deadlines that fire when the
// instance that held the call is dead.
const PRESENCE_TTL_MS = 1_500;
const GRACE_MS = 2_000;

let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

it('records the end (metering, audit, both sides told) even when the media node of the call is gone', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: 'P' });
  await doctor.request('consultation:admit', { consultationId });
  await Promise.all([patient.sendAudio(consultationId), doctor.sendAudio(consultationId)]);
  // The node's record expired and this instance never had a connection to the node now named.
  const redis = new Redis(stack.redis.url);
  await redis.hset(`visita:consultation:${consultationId}`, 'nodeId', 'sfu-gone');
  redis.disconnect();
  const told = patient.next('consultation:ended');
  expect(await doctor.request('consultation:hangUp', { consultationId })).toMatchObject({
    ok: true,
    data: { state: 'ended' },
  });
  expect(await told).toMatchObject({ reason: 'hung_up' });
  const usage = await waitForUsage(stack.signalingUrl, token, consultationId);
  expect(usage.complete).toBe(true);
  const records = await stack.signaling.audit.list({});
  expect(records.filter((r) => r.consultationId === consultationId).map((r) => r.action)).toContain('ended');
});

it('ends a call whose participants were both on an instance killed with SIGKILL, within grace + one sweep, and bills up to their departure', async () => {
  const multi = await MultiStack.start(2, {
    VISITA_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    VISITA_RECONNECT_GRACE_MS: String(GRACE_MS),
    VISITA_METERING_HEARTBEAT_MS: '500',
  });
  try {
    const token = await multi.login(1);
    const { consultationId, patientToken } = await multi.createConsultation(token, 1);
    const doctor = await multi.connect(token, 0);
    const patient = await multi.connect(patientToken, 0);
    await patient.request('consultation:join', { consultationId, displayName: 'P' });
    await doctor.request('consultation:admit', { consultationId });
    await Promise.all([patient.sendAudio(consultationId), doctor.sendAudio(consultationId)]);
    expect(multi.sfu.node.roomIds).toContain(consultationId);
    await new Promise((r) => setTimeout(r, 1_000));

    const killedAt = Date.now();
    await multi.instances[0]!.kill('SIGKILL');
    const state = async () => {
      const res = await fetch(`${multi.url(1)}/api/consultations`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as AckOk<ConsultationList>).data.consultations.find(
        (c) => c.consultationId === consultationId,
      )?.state;
    };
    // Presence lapses after its TTL; the grace period runs from the last heartbeat; one sweep more.
    const bound = PRESENCE_TTL_MS + GRACE_MS + 1_500;
    while ((await state()) !== 'ended') {
      if (Date.now() - killedAt > bound * 2) throw new Error('the call was never ended');
      await new Promise((r) => setTimeout(r, 100));
    }
    const endedAfter = Date.now() - killedAt;
    console.log(
      `call ended ${endedAfter} ms after the SIGKILL (grace ${GRACE_MS} ms, presence TTL ${PRESENCE_TTL_MS} ms)`,
    );
    expect(endedAfter).toBeLessThanOrEqual(bound);
    expect(multi.sfu.node.roomIds).not.toContain(consultationId);
    // Billing stops when they were last seen (their instance's last heartbeat), not at the end.
    const usage = await waitForUsage(multi.url(1), token, consultationId, 10_000);
    const billedUntil = Math.max(...usage.intervals.map((i) => i.end));
    expect(billedUntil).toBeLessThanOrEqual(killedAt);
    expect(billedUntil).toBeGreaterThan(killedAt - PRESENCE_TTL_MS);
  } finally {
    await multi.stop();
  }
});

it('tells both sides who ended the consultation and how long the call lasted (issue 21, item 14)', async () => {
  const token = await stack.login();
  // A call the patient hangs up after a second.
  const call = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(call.patientToken);
  await patient.request('consultation:join', { consultationId: call.consultationId, displayName: 'P' });
  await doctor.request('consultation:join', { consultationId: call.consultationId });
  await doctor.request('consultation:admit', { consultationId: call.consultationId });
  await new Promise((r) => setTimeout(r, 1_100));
  const doctorTold = doctor.next('consultation:ended');
  await patient.request('consultation:hangUp', { consultationId: call.consultationId });
  const event = await doctorTold;
  expect(event).toMatchObject({ consultationId: call.consultationId, reason: 'hung_up', by: 'patient' });
  expect(event.callMs).toBeGreaterThanOrEqual(1_000);
  expect(event.callMs).toBeLessThan(10_000);

  // A patient who leaves the waiting room: by the patient, no call.
  const waiting = await stack.createConsultation(token);
  const leaver = await stack.connect(waiting.patientToken);
  await leaver.request('consultation:join', { consultationId: waiting.consultationId, displayName: 'Q' });
  const leaverTold = leaver.next('consultation:ended');
  await leaver.request('consultation:hangUp', { consultationId: waiting.consultationId });
  const left = await leaverTold;
  expect(left).toMatchObject({ reason: 'hung_up', by: 'patient' });
  expect(left).not.toHaveProperty('callMs');

  // The practitioner closes a consultation nobody used (the dashboard's Close): by the practitioner.
  const unused = await stack.createConsultation(token);
  await doctor.request('consultation:join', { consultationId: unused.consultationId });
  const closedTold = doctor.next('consultation:ended');
  expect(await doctor.request('consultation:hangUp', { consultationId: unused.consultationId })).toMatchObject({
    ok: true,
    data: { state: 'ended' },
  });
  expect(await closedTold).toMatchObject({ reason: 'hung_up', by: 'practitioner' });
});

it('only its practitioner closes an unused consultation: another is told it does not exist', async () => {
  const unused = await stack.createConsultation(await stack.login());
  await seedAccount(stack.redis.url, {
    email: 'other@visita.test',
    name: 'Dr. Other',
    role: 'practitioner',
    password: 'other password 123',
  });
  const other = await stack.connect(await stack.loginAs('other@visita.test', 'other password 123'));
  const refused = await other.request('consultation:hangUp', { consultationId: unused.consultationId });
  expect(refused).toMatchObject({ ok: false, code: 'NOT_FOUND' });
});
