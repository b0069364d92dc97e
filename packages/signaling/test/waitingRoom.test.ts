import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode, type AckOk, type ConsultationLink } from '@visita/protocol';
import { AVERAGE_CONSULTATION_MS } from '../src/domain/queue.ts';
import { TestStack, type TestClient } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

async function checkIn(token: string, consultationId: string, name: string, reason?: string): Promise<TestClient> {
  const patient = await stack.connect(token);
  const joined = await patient.request('consultation:join', {
    consultationId,
    displayName: name,
    ...(reason ? { reason } : {}),
    deviceCheck: { camera: true, microphone: name !== 'Chloé' },
  });
  expect(joined).toMatchObject({ ok: true, data: { state: 'waiting' } });
  return patient;
}

it('queues patients in check-in order, tells each their position, and moves them up on admit and decline', async () => {
  // A practitioner of their own, so other tests' consultations do not share the queue.
  const token = await stack.login();
  const dashboard = await stack.connect(token);
  const empty = await dashboard.request('queue:watch', {});
  expect(empty).toMatchObject({ ok: true, data: { status: 'online' } });
  const before = empty.ok ? empty.data.entries.length : 0;

  const cs = await Promise.all([0, 1, 2].map(() => stack.createConsultation(token)));
  const alice = await checkIn(cs[0]!.patientToken, cs[0]!.consultationId, 'Alice', 'fever');
  const bob = await checkIn(cs[1]!.patientToken, cs[1]!.consultationId, 'Bob');
  const chloeFirst = checkIn(cs[2]!.patientToken, cs[2]!.consultationId, 'Chloé');
  const queueOf3 = await dashboard.until('queue:updated', (q) => q.entries.length === before + 3);
  const chloe = await chloeFirst;
  expect(
    queueOf3.entries.slice(before).map((e) => [e.patientName, e.reason, e.deviceCheck?.microphone, e.present]),
  ).toEqual([
    ['Alice', 'fever', true, true],
    ['Bob', null, true, true],
    ['Chloé', null, false, true],
  ]);

  // The practitioner admits Alice: Bob and Chloé move up, and see the practitioner in a call.
  const bobMoves = bob.until('waiting:position', (p) => p.position === before + 1);
  const chloeMoves = chloe.until('waiting:position', (p) => p.position === before + 2);
  const queueOf2 = dashboard.until('queue:updated', (q) => q.entries.length === before + 2);
  expect(await dashboard.request('consultation:admit', { consultationId: cs[0]!.consultationId })).toMatchObject({
    ok: true,
  });
  expect(await bobMoves).toMatchObject({
    practitionerStatus: 'in_call',
    estimatedWaitMs: before * AVERAGE_CONSULTATION_MS + AVERAGE_CONSULTATION_MS / 2,
  });
  await chloeMoves;
  expect((await queueOf2).status).toBe('in_call');

  // A message reaches the waiting patient; a patient cannot send one.
  const msg = bob.next('waiting:message');
  expect(
    await dashboard.request('waiting:message', {
      consultationId: cs[1]!.consultationId,
      text: 'Running 10 minutes late',
    }),
  ).toEqual({
    ok: true,
    data: { sent: true },
  });
  expect(await msg).toMatchObject({ consultationId: cs[1]!.consultationId, text: 'Running 10 minutes late' });
  expect(await bob.request('waiting:message', { consultationId: cs[1]!.consultationId, text: 'hi' })).toMatchObject({
    ok: false,
    code: ErrorCode.FORBIDDEN,
  });
  expect(await bob.request('queue:watch', {})).toMatchObject({ ok: false, code: ErrorCode.FORBIDDEN });

  // Declining Bob, with a reason he sees; Chloé moves up again.
  const bobEnded = bob.next('consultation:ended');
  const chloeFirstNow = chloe.until('waiting:position', (p) => p.position === before + 1);
  expect(
    await dashboard.request('consultation:decline', {
      consultationId: cs[1]!.consultationId,
      reason: 'Please call the practice',
    }),
  ).toMatchObject({ ok: true, data: { state: 'ended' } });
  expect(await bobEnded).toEqual({
    consultationId: cs[1]!.consultationId,
    reason: 'declined',
    by: 'practitioner',
    message: 'Please call the practice',
  });
  await chloeFirstNow;
  // Declining twice, or declining someone in a call, is refused.
  expect(
    await dashboard.request('consultation:decline', { consultationId: cs[1]!.consultationId, reason: 'x' }),
  ).toMatchObject({
    ok: false,
    code: ErrorCode.INVALID_STATE,
  });
  expect(
    await dashboard.request('consultation:decline', { consultationId: cs[0]!.consultationId, reason: 'x' }),
  ).toMatchObject({
    ok: false,
    code: ErrorCode.INVALID_STATE,
  });

  await dashboard.request('consultation:hangUp', { consultationId: cs[0]!.consultationId });
  await dashboard.request('consultation:hangUp', { consultationId: cs[2]!.consultationId });
  void alice;
});

it('keeps the place of a patient who reconnects', async () => {
  const token = await stack.login();
  const dashboard = await stack.connect(token);
  const start = await dashboard.request('queue:watch', {});
  const before = start.ok ? start.data.entries.length : 0;
  const [a, b] = await Promise.all([stack.createConsultation(token), stack.createConsultation(token)]);
  const first = await checkIn(a.patientToken, a.consultationId, 'Dana');
  await checkIn(b.patientToken, b.consultationId, 'Eli');
  first.socket.close();
  await dashboard.until('queue:updated', (q) =>
    q.entries.some((e) => e.consultationId === a.consultationId && !e.present),
  );
  const back = await stack.connect(a.patientToken);
  const position = back.until('waiting:position', (p) => p.consultationId === a.consultationId);
  await back.request('consultation:join', { consultationId: a.consultationId, displayName: 'Dana' });
  expect((await position).position).toBe(before + 1);
  const q = await dashboard.request('queue:watch', {});
  expect(q.ok && q.data.entries.slice(before).map((e) => [e.patientName, e.present])).toEqual([
    ['Dana', true],
    ['Eli', true],
  ]);
  await dashboard.request('consultation:hangUp', { consultationId: a.consultationId });
  await dashboard.request('consultation:hangUp', { consultationId: b.consultationId });
});

it('opens a scheduled consultation’s waiting room when the patient checks in early', async () => {
  const token = await stack.login();
  const scheduledAt = Date.now() + 3_600_000;
  const res = await fetch(`${stack.signalingUrl}/api/consultations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scheduledAt }),
  });
  const created = (await res.json()) as {
    data: { consultationId: string; patientToken: string; state: string; scheduledAt: number };
  };
  expect(created.data).toMatchObject({ state: 'scheduled', scheduledAt });
  const doctor = await stack.connect(token);
  // Nobody can be admitted before the check-in.
  expect(await doctor.request('consultation:join', { consultationId: created.data.consultationId })).toMatchObject({
    ok: true,
    data: { state: 'scheduled' },
  });
  expect(await doctor.request('consultation:admit', { consultationId: created.data.consultationId })).toMatchObject({
    ok: false,
    code: ErrorCode.INVALID_STATE,
  });
  const patient = await checkIn(created.data.patientToken, created.data.consultationId, 'Early Bird');
  expect(await patient.request('consultation:join', { consultationId: created.data.consultationId })).toMatchObject({
    ok: true,
    data: { state: 'waiting', scheduledAt },
  });
  expect(await doctor.request('consultation:admit', { consultationId: created.data.consultationId })).toMatchObject({
    ok: true,
    data: { state: 'in_call' },
  });
  await doctor.request('consultation:hangUp', { consultationId: created.data.consultationId });
  const bad = await fetch(`${stack.signalingUrl}/api/consultations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{"scheduledAt":"tomorrow"}',
  });
  expect(bad.status).toBe(400);
});

it('revokes a patient link: the patient is disconnected and leaves the queue; a new link works', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const dashboard = await stack.connect(token);
  await dashboard.request('queue:watch', {});
  const patient = await checkIn(patientToken, consultationId, 'Revoked');
  const gone = new Promise((r) => patient.socket.once('disconnect', r));
  const left = dashboard.until('queue:updated', (q) => !q.entries.some((e) => e.consultationId === consultationId));
  const post = (path: string) =>
    fetch(`${stack.signalingUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  expect((await post(`/api/consultations/${consultationId}/revoke`)).status).toBe(200);
  await gone;
  await left;
  // The old link (its signature is fine) is refused at the handshake.
  await expect(stack.connect(patientToken)).rejects.toMatchObject({
    message: 'this link was revoked',
    data: { code: ErrorCode.UNAUTHENTICATED },
  });
  const fresh = (await (await post(`/api/consultations/${consultationId}/link`)).json()) as AckOk<ConsultationLink>;
  await checkIn(fresh.data.patientToken, consultationId, 'Welcome back');
  // Another practitioner cannot revoke or re-issue it.
  expect(
    (await fetch(`${stack.signalingUrl}/api/consultations/${consultationId}/revoke`, { method: 'POST' })).status,
  ).toBe(401);
  await dashboard.request('consultation:hangUp', { consultationId });
});

it('lets the patient and the practitioner chat, waiting and in the call, with history for whoever (re)joins', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  await doctor.request('consultation:join', { consultationId });
  const patient = await checkIn(patientToken, consultationId, 'Chatty');
  const toDoctor = doctor.until('chat:message', (m) => m.from === 'patient');
  const sent = await patient.request('chat:send', { consultationId, text: '  Is it far to park?  ' });
  expect(sent).toMatchObject({ ok: true, data: { from: 'patient', text: 'Is it far to park?' } });
  expect(await toDoctor).toMatchObject({ from: 'patient', text: 'Is it far to park?' });
  const toPatient = patient.until('chat:message', (m) => m.from === 'practitioner');
  await doctor.request('chat:send', { consultationId, text: 'No, 2 minutes.' });
  expect(await toPatient).toMatchObject({ from: 'practitioner', text: 'No, 2 minutes.' });
  const later = await stack.connect(patientToken);
  const history = await later.request('chat:history', { consultationId });
  expect(history.ok && history.data.messages.map((m) => [m.from, m.text])).toEqual([
    ['patient', 'Is it far to park?'],
    ['practitioner', 'No, 2 minutes.'],
  ]);
  expect(await patient.request('chat:send', { consultationId, text: ' ' })).toMatchObject({
    ok: false,
    code: ErrorCode.BAD_REQUEST,
  });
  // In the call: the practitioner's messages reach the patient's socket, and back; the view says
  // when the call began (the timer's start) and what the patient's device check let them share.
  const admitted = patient.until('consultation:admitted', () => true);
  const before = Date.now();
  const admit = await doctor.request('consultation:admit', { consultationId });
  expect(admit).toMatchObject({ ok: true });
  const inCall = await admitted;
  expect(inCall).toMatchObject({ state: 'in_call', patientDevices: { camera: true, microphone: true } });
  expect(inCall.admittedAt).toBeGreaterThanOrEqual(before - 1_000);
  const inCallToPatient = patient.until('chat:message', (m) => m.text === 'Can you see me?');
  await doctor.request('chat:send', { consultationId, text: 'Can you see me?' });
  expect(await inCallToPatient).toMatchObject({ from: 'practitioner' });
  const inCallToDoctor = doctor.until('chat:message', (m) => m.text === 'Yes.');
  await patient.request('chat:send', { consultationId, text: 'Yes.' });
  expect(await inCallToDoctor).toMatchObject({ from: 'patient' });
  // Joined again (back after a cut): the same start.
  const rejoined = await doctor.request('consultation:join', { consultationId, keepMedia: true });
  expect(rejoined).toMatchObject({ ok: true, data: { state: 'in_call', admittedAt: inCall.admittedAt } });
  await doctor.request('consultation:hangUp', { consultationId });
  expect(await patient.request('chat:send', { consultationId, text: 'hello?' })).toMatchObject({
    ok: false,
    code: ErrorCode.INVALID_STATE,
  });
});
