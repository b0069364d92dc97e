import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Ack,
  type ClientRequestName,
  ConsultationState,
  clientRequestSchemas,
  ErrorCode,
  type RtpCapabilities,
} from '@visita/protocol';
import { audioRtpParameters } from '../../sfu/test/fixtures.ts';
import { addAccount } from '../src/accounts/manage.ts';
import { attack } from './support/attackLog.ts';
import { type TestClient, TestStack, testAccountStore } from './support/stack.ts';

// Fuzzing aimed at the real ids and states: consultations waiting, admitted and waiting for media
// capacity (the node is draining while the cases run), in a call (with a real transport and
// producer), ended and scheduled; their practitioner, their patients, another
// practitioner and another consultation's patient. Whatever anyone sends, every ack is typed and
// never INTERNAL, and nothing changes unless an actor allowed to change it sent what allows it.
let stack: TestStack;
const ids: Record<'waiting' | 'pending' | 'inCall' | 'ended' | 'scheduled' | 'other', string> = {
  waiting: '',
  pending: '',
  inCall: '',
  ended: '',
  scheduled: '',
  other: '',
};
let real: { transportId: string; producerId: string; probeId: string };
let actors: Record<
  'doctor' | 'patientWaiting' | 'patientPending' | 'patientInCall' | 'stranger' | 'otherPatient',
  TestClient
>;
let rtpCapabilities: RtpCapabilities;

let token: string;
/** Fresh consultations in every state (the previous event's cases may have ended them). */
async function setUp(): Promise<void> {
  actors?.patientWaiting?.socket.close();
  actors?.patientPending?.socket.close();
  actors?.patientInCall?.socket.close();
  await stack.sfu.setDraining(false); // room for the call set up below
  const doctor = actors?.doctor ?? (await stack.connect(token));
  const create = async (scheduledAt?: number) => {
    const res = await fetch(`${stack.signalingUrl}/api/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(scheduledAt ? { scheduledAt } : {}),
    });
    return ((await res.json()) as { data: { consultationId: string; patientToken: string } }).data;
  };
  const [waiting, pending, inCall, ended, scheduled] = [
    await create(),
    await create(),
    await create(),
    await create(),
    await create(Date.now() + 3_600_000),
  ];
  Object.assign(ids, {
    waiting: waiting.consultationId,
    pending: pending.consultationId,
    inCall: inCall.consultationId,
    ended: ended.consultationId,
    scheduled: scheduled.consultationId,
  });
  const patientWaiting = await stack.connect(waiting.patientToken);
  await patientWaiting.request('consultation:join', { consultationId: ids.waiting, displayName: 'W' });
  const patientInCall = await stack.connect(inCall.patientToken);
  await patientInCall.request('consultation:join', { consultationId: ids.inCall, displayName: 'C' });
  await doctor.request('consultation:admit', { consultationId: ids.inCall });
  const transport = await patientInCall.request('media:createTransport', {
    consultationId: ids.inCall,
    direction: 'send',
  });
  if (!transport.ok) throw new Error(transport.message);
  const producer = await patientInCall.request('media:produce', {
    consultationId: ids.inCall,
    transportId: transport.data.id,
    kind: 'audio',
    rtpParameters: audioRtpParameters,
  });
  if (!producer.ok) throw new Error(producer.message);
  // A network test held by the waiting patient's connection: its real id, sent by everyone.
  const probe = await patientWaiting.request('probe:open', { consultationId: ids.waiting });
  if (!probe.ok) throw new Error(probe.message);
  real = { transportId: transport.data.id, producerId: producer.data.producerId, probeId: probe.data.probeId };
  const caps = await doctor.request('media:routerCapabilities', { consultationId: ids.inCall });
  if (!caps.ok) throw new Error(caps.message);
  rtpCapabilities = caps.data.rtpCapabilities;
  await doctor.request('consultation:hangUp', { consultationId: ids.ended });
  // No node has room from here on: an admission waits (and the one below stays waiting).
  await stack.sfu.setDraining(true);
  const patientPending = await stack.connect(pending.patientToken);
  await patientPending.request('consultation:join', { consultationId: ids.pending, displayName: 'P' });
  const admitted = await doctor.request('consultation:admit', { consultationId: ids.pending });
  if (!admitted.ok || !admitted.data.admission) throw new Error('the admission did not wait for capacity');
  actors = { ...actors, doctor, patientWaiting, patientPending, patientInCall };
}

beforeAll(async () => {
  // Budgets scaled up: this test is about payloads and rights, not request rates.
  // So are the consultation limits: every event's set-up creates five consultations.
  stack = await TestStack.start({
    env: { VISITA_SOCKET_RATE_SCALE: '1000', VISITA_CONSULTATION_RATE: '100000', VISITA_OPEN_CONSULTATIONS: '1000000' },
  });
  token = await stack.login();
  // Another practitioner, and the patient of that practitioner's consultation.
  await addAccount(testAccountStore(stack.signaling.redis), {
    email: 'stranger@clinic.test',
    name: 'Dr S',
    password: 'stranger password 1',
  });
  const login = await fetch(`${stack.signalingUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'stranger@clinic.test', password: 'stranger password 1' }),
  });
  const strangerToken = ((await login.json()) as { data: { token: string } }).data.token;
  const stranger = await stack.connect(strangerToken);
  const res = await fetch(`${stack.signalingUrl}/api/consultations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${strangerToken}` },
  });
  const other = ((await res.json()) as { data: { consultationId: string; patientToken: string } }).data;
  ids.other = other.consultationId;
  const otherPatient = await stack.connect(other.patientToken);
  actors = { stranger, otherPatient } as typeof actors;
  await setUp();
});
afterAll(async () => {
  await stack?.stop();
});

const events = Object.keys(clientRequestSchemas) as ClientRequestName[];
/** Cases in all (`make test`: 300; `make security`: 3,000; `make fuzz`: 10,000 per event), spread over the events. */
const PER_EVENT = Math.max(1, Math.ceil(Number(process.env['VISITA_FUZZ_RUNS'] ?? 300) / events.length));
const codes = new Set<string>(Object.values(ErrorCode));
type Actor = keyof typeof actors;
const ACTORS: Actor[] = ['doctor', 'patientWaiting', 'patientPending', 'patientInCall', 'stranger', 'otherPatient'];
type Target = keyof typeof ids;
const TARGETS: Target[] = ['waiting', 'pending', 'inCall', 'ended', 'scheduled', 'other'];

/** Who may act on which consultation at all (the doctor owns all but `other`; a patient only their own). */
const mayTouch = (actor: Actor, target: Target): boolean =>
  (actor === 'doctor' && target !== 'other') ||
  (actor === 'patientWaiting' && target === 'waiting') ||
  (actor === 'patientPending' && target === 'pending') ||
  (actor === 'patientInCall' && target === 'inCall') ||
  (actor === 'stranger' && target === 'other') ||
  (actor === 'otherPatient' && target === 'other');

const field = {
  consultationId: fc.oneof(
    fc.constantFrom(...TARGETS).map((t) => ids[t]),
    fc.string({ maxLength: 70 }),
    fc.constant('c'.repeat(65)),
  ),
  transportId: fc.oneof(
    fc.constant(0).map(() => real.transportId),
    fc.uuid(),
    fc.string({ maxLength: 40 }),
  ),
  producerId: fc.oneof(
    fc.constant(0).map(() => real.producerId),
    fc.uuid(),
  ),
  consumerId: fc.uuid(),
  probeId: fc.oneof(
    fc.constant(0).map(() => real.probeId),
    fc.uuid().map((u) => `probe-${u}`),
    fc.string({ maxLength: 50 }),
  ),
  direction: fc.constantFrom('send', 'recv', 'sideways'),
  kind: fc.constantFrom('audio', 'video', 'smell'),
  rtpParameters: fc.oneof(fc.constant(audioRtpParameters), fc.anything({ maxDepth: 2 })),
  rtpCapabilities: fc.oneof(
    fc.constant(0).map(() => rtpCapabilities),
    fc.anything({ maxDepth: 2 }),
  ),
  dtlsParameters: fc.anything({ maxDepth: 2 }),
  paused: fc.boolean(),
  text: fc.oneof(fc.string({ maxLength: 50 }), fc.string({ minLength: 1000, maxLength: 1200 })),
  reason: fc.string({ maxLength: 210 }),
  displayName: fc.string({ maxLength: 90 }),
  limit: fc.integer({ min: -5, max: 100 }),
};
const payload = fc.oneof(
  { weight: 4, arbitrary: fc.record(field, { requiredKeys: ['consultationId'] }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

/** What an actor allowed on the consultation may change with each event (state before → after). */
function allowed(event: ClientRequestName, actor: Actor, before: string, after: string): boolean {
  // The practitioner who owns it (the stranger owns `other`), or else its patient.
  const doctor = actor === 'doctor' || actor === 'stranger';
  switch (event) {
    case 'consultation:admit':
      return doctor && before === ConsultationState.WAITING && after === ConsultationState.IN_CALL;
    case 'consultation:decline':
      return doctor && before === ConsultationState.WAITING && after === ConsultationState.ENDED;
    case 'consultation:hangUp':
      return before !== ConsultationState.ENDED && after === ConsultationState.ENDED;
    case 'consultation:join':
      return !doctor && before === ConsultationState.SCHEDULED && after === ConsultationState.WAITING;
    default:
      return false;
  }
}

async function snapshot() {
  const out: Record<string, { state: string; chat: number; room: string; pending: boolean }> = {};
  for (const t of TARGETS) {
    const c = await stack.signaling.redis.hget(`visita:consultation:${ids[t]}`, 'state');
    const chat = await stack.signaling.redis.llen(`visita:chat:${ids[t]}`);
    const room = await stack.node.handlers['room.get']({ roomId: ids[t] }).then(
      (r) => JSON.stringify(r.peers.map((p) => [p.peerId, p.transports, p.producers.length, p.consumers])),
      () => 'none',
    );
    const pending = (await stack.signaling.redis.hexists('visita:admissions:data', ids[t])) === 1;
    out[t] = { state: c ?? 'none', chat, room, pending };
  }
  return out;
}

it.each(events)('%s: typed acks for everyone, and no change but an allowed one', async (event) => {
  await setUp();
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ACTORS), payload, async (actor, body) => {
      cases++;
      const before = await snapshot();
      const ack = (await actors[actor].raw(event, body)) as Ack<unknown>;
      const after = await snapshot();
      const typed = typeof ack === 'object' && (ack.ok || (codes.has(ack.code) && ack.code !== ErrorCode.INTERNAL));
      // queue:watch names no consultation (its schema drops the field): it touches none; nor do a
      // network test's steps after its opening (they name the test, which is its connection's).
      const probeStep = event === 'probe:connect' || event === 'probe:produce' || event === 'probe:close';
      const target =
        event === 'queue:watch' || probeStep
          ? undefined
          : TARGETS.find((t) => (body as { consultationId?: unknown } | null)?.consultationId === ids[t]);
      // Nothing of a consultation changes unless its own actor sent an event allowed to change it.
      const unexpected = TARGETS.filter((t) => {
        const b = before[t]!;
        const a = after[t]!;
        // An admission waits for capacity only while its consultation waits.
        if (a.pending && a.state !== ConsultationState.WAITING) return true;
        if (b.state === a.state && b.chat === a.chat && b.room === a.room && b.pending === a.pending) return false;
        if (t !== target || !mayTouch(actor, t) || !ack.ok) return true;
        if (b.state !== a.state && !allowed(event, actor, b.state, a.state)) return true;
        if (b.chat !== a.chat && event !== 'chat:send') return true;
        // An admission waits for capacity only by the practitioner's admit, and goes only with the waiting.
        if (b.pending !== a.pending && b.state === a.state && !(event === 'consultation:admit' && a.pending))
          return true;
        if (
          b.room !== a.room &&
          !event.startsWith('media:') &&
          event !== 'consultation:join' &&
          event !== 'consultation:admit' &&
          event !== 'consultation:hangUp'
        )
          return true;
        return false;
      });
      const refusedWhereItMust =
        (!target || mayTouch(actor, target) || !ack.ok) && (!probeStep || actor === 'patientWaiting' || !ack.ok);
      attack('event fuzzing (real ids, every actor)', event, typed && unexpected.length === 0 && refusedWhereItMust);
      expect(typed).toBe(true);
      expect([actor, event, unexpected]).toEqual([actor, event, []]);
      expect([actor, event, target, refusedWhereItMust]).toEqual([actor, event, target, true]);
    }),
    { numRuns: PER_EVENT },
  );
  expect(cases).toBe(PER_EVENT);
});

it('ignores events without an ack callback and unknown events, and stays up', async () => {
  const raw = actors.stranger.socket as unknown as { emit: (e: string, ...a: unknown[]) => void };
  raw.emit('consultation:hangUp', { consultationId: ids.inCall });
  raw.emit('no:such:event', { x: 1 }, () => undefined);
  const view = await actors.doctor.request('queue:watch', {});
  attack(
    'event fuzzing (real ids, every actor)',
    'hang-up without ack callback, unknown event',
    view.ok && actors.stranger.socket.connected,
  );
  expect(view.ok).toBe(true);
  expect(actors.stranger.socket.connected).toBe(true);
});
