import { io } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type RtpCapabilities } from '@visita/protocol';
import type { AuditRecord } from '../src/store/AuditStore.ts';
import { audioRtpParameters } from '../../sfu/test/fixtures.ts';
import { TestClient, TestStack, admittedCall, waitForUsage } from './support/stack.ts';

// Reconnection: Socket.IO connection-state recovery, and the grace period of a dropped participant.
const GRACE_MS = 1_500;
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start({
    env: { VISITA_RECONNECT_GRACE_MS: String(GRACE_MS), VISITA_PRESENCE_TTL_MS: '3000' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

it('recovers a dropped connection with its session, and delivers what was sent meanwhile', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const socket = io(stack.signalingUrl, {
    auth: { token: patientToken, protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
  });
  const patient = new TestClient(socket as never);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  await patient.request('consultation:join', { consultationId, displayName: 'Recovering' });
  const firstId = socket.id;

  // 'connect' again (the manager's 'reconnect' comes before the namespace is joined).
  const reconnected = new Promise<void>((r) => socket.once('connect', () => r()));
  const message = patient.next('waiting:message');
  socket.io.engine.close(); // the network drops (not a deliberate disconnect)
  await doctor.request('waiting:message', { consultationId, text: 'sent while you were away' });
  await reconnected;
  expect(socket.recovered).toBe(true);
  expect(socket.id).toBe(firstId);
  expect(await message).toMatchObject({ text: 'sent while you were away' });
  // Still in the consultation without joining again.
  const view = doctor.until('consultation:updated', (v) => v.consultationId === consultationId);
  expect(await doctor.request('consultation:join', { consultationId })).toMatchObject({
    ok: true,
    data: { patientPresent: true },
  });
  await view;
  socket.close();
  await doctor.request('consultation:hangUp', { consultationId });
});

it('keeps a dropped patient’s place for the grace period, then expires the entry', async () => {
  const token = await stack.login();
  const dashboard = await stack.connect(token);
  await dashboard.request('queue:watch', {});
  const [a, b] = await Promise.all([stack.createConsultation(token), stack.createConsultation(token)]);
  const first = await stack.connect(a.patientToken);
  await first.request('consultation:join', { consultationId: a.consultationId, displayName: 'Leaves' });
  const second = await stack.connect(b.patientToken);
  await second.request('consultation:join', { consultationId: b.consultationId, displayName: 'Stays' });

  const absent = dashboard.until('queue:updated', (q) =>
    q.entries.some((e) => e.consultationId === a.consultationId && !e.present),
  );
  first.socket.close();
  const seenAbsent = await absent;
  expect(seenAbsent.entries.map((e) => e.consultationId).indexOf(a.consultationId)).toBeLessThan(
    seenAbsent.entries.map((e) => e.consultationId).indexOf(b.consultationId),
  );

  const moved = second.until(
    'waiting:position',
    (p) => p.consultationId === b.consultationId && p.position === 1,
    GRACE_MS * 6,
  );
  const expired = dashboard.until(
    'queue:updated',
    (q) => !q.entries.some((e) => e.consultationId === a.consultationId),
    GRACE_MS * 6,
  );
  const start = Date.now();
  await expired;
  await moved;
  expect(Date.now() - start).toBeGreaterThanOrEqual(GRACE_MS / 2);
  const res = await fetch(`${stack.signalingUrl}/api/audit`, { headers: { authorization: `Bearer ${token}` } });
  const records = ((await res.json()) as { data: { records: AuditRecord[] } }).data.records;
  expect(
    records.filter((r) => r.consultationId === a.consultationId).map((r) => [r.action, r.actorRole]),
  ).toContainEqual(['expired', 'system']);
  // Checking in again is possible, at the back of the line.
  const back = await stack.connect(a.patientToken);
  const pos = back.until('waiting:position', (p) => p.consultationId === a.consultationId);
  await back.request('consultation:join', { consultationId: a.consultationId, displayName: 'Leaves' });
  expect((await pos).position).toBe(2);
  await dashboard.request('consultation:hangUp', { consultationId: a.consultationId });
  await dashboard.request('consultation:hangUp', { consultationId: b.consultationId });
});

it('keeps a dropped participant’s media during the grace period, and frees it after', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: 'In call' });
  await doctor.request('consultation:join', { consultationId });
  await doctor.request('consultation:admit', { consultationId });
  const caps = await doctor.request('media:routerCapabilities', { consultationId });
  const send = await patient.request('media:createTransport', { consultationId, direction: 'send' });
  const recv = await doctor.request('media:createTransport', { consultationId, direction: 'recv' });
  if (!send.ok || !recv.ok || !caps.ok) throw new Error('setup failed');
  const produced = await patient.request('media:produce', {
    consultationId,
    transportId: send.data.id,
    kind: 'audio',
    rtpParameters: audioRtpParameters,
  });
  if (!produced.ok) throw new Error(produced.message);
  const consumer = await doctor.request('media:consume', {
    consultationId,
    transportId: recv.data.id,
    producerId: produced.data.producerId,
    rtpCapabilities: caps.data.rtpCapabilities as RtpCapabilities,
  });
  if (!consumer.ok) throw new Error(consumer.message);

  const closedAt = doctor.next('media:consumerClosed').then((e) => ({ e, at: Date.now() }));
  const droppedAt = Date.now();
  patient.socket.close();
  await new Promise((r) => setTimeout(r, GRACE_MS / 2));
  const during = await stack.node.handlers['room.get']({ roomId: consultationId });
  expect(during.peers.find((p) => p.peerId === 'patient')?.producers).toHaveLength(1);
  const { e, at } = await closedAt;
  expect(e).toEqual({ consumerId: consumer.data.id });
  expect(at - droppedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
  const after = await stack.node.handlers['room.get']({ roomId: consultationId });
  expect(after.peers.find((p) => p.peerId === 'patient')).toBeUndefined();
  await doctor.request('consultation:hangUp', { consultationId });
});

it('lets a page back after a cut keep its media (keepMedia) and restart ICE; joining without it frees the media', async () => {
  const { consultationId, patientToken, doctor, patient } = await admittedCall(stack, { displayName: 'On a train' });
  const { transport } = await patient.produceAudioOn(consultationId);
  const patientMedia = async () =>
    (await stack.node.handlers['room.get']({ roomId: consultationId })).peers.find((p) => p.peerId === 'patient');

  // The page's connection dropped and came back without recovery: it joins again, keeping its media.
  patient.socket.close();
  const back = await stack.connect(patientToken);
  expect(await back.request('consultation:join', { consultationId, keepMedia: true })).toMatchObject({
    ok: true,
    data: { state: 'in_call' },
  });
  expect(await patientMedia()).toMatchObject({ transports: 1, producers: [{ kind: 'audio' }] });
  // Its transport restarts ICE: new credentials, same transport.
  const restarted = await back.request('media:restartIce', { consultationId, transportId: transport.id });
  expect(restarted.ok && restarted.data.iceParameters.usernameFragment).not.toBe(
    transport.iceParameters.usernameFragment,
  );
  // Another participant's transport cannot be restarted, and a reload (no keepMedia) frees the media.
  expect(await doctor.request('media:restartIce', { consultationId, transportId: transport.id })).toMatchObject({
    ok: false,
    code: 'NOT_FOUND',
  });
  const reloaded = await stack.connect(patientToken);
  await reloaded.request('consultation:join', { consultationId });
  expect(await patientMedia()).toBeUndefined();
  await doctor.request('consultation:hangUp', { consultationId });
});

it('ends a call both participants left for longer than the grace period, and bills it up to then', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: 'Gone' });
  await doctor.request('consultation:join', { consultationId });
  await doctor.request('consultation:admit', { consultationId });
  for (const who of [patient, doctor]) await who.sendAudio(consultationId);
  const bothUpAt = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  const goneAt = Date.now();
  patient.socket.close();
  doctor.socket.close();
  const deadline = Date.now() + GRACE_MS * 4;
  while (stack.node.roomIds.includes(consultationId) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  expect(stack.node.roomIds).not.toContain(consultationId);
  const again = await stack.connect(token);
  expect(await again.request('consultation:join', { consultationId })).toMatchObject({
    ok: false,
    code: 'INVALID_STATE',
  });
  // Billed while both media were up: the grace period is not billed once both turn out to be gone.
  const { billableMs } = await waitForUsage(stack.signalingUrl, token, consultationId);
  expect(Math.abs(billableMs - (goneAt - bothUpAt))).toBeLessThan(300);
});
