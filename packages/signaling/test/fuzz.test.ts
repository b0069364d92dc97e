import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode, clientRequestSchemas, type Ack } from '@visita/protocol';
import { attack } from './support/attackLog.ts';
import { TestStack, type TestClient } from './support/stack.ts';

// Property: whatever payload a client sends with any event, the server answers with a typed ack
// (never crashes, never hangs), and random payloads change nothing.
let stack: TestStack;
let patient: TestClient;
let doctor: TestClient;
let consultationId: string;

beforeAll(async () => {
  // Budgets scaled up: this test is about payloads, not about request rates.
  stack = await TestStack.start({ env: { VISITA_SOCKET_RATE_SCALE: '100' } });
  const doctorToken = await stack.login();
  const created = await stack.createConsultation(doctorToken);
  consultationId = created.consultationId;
  patient = await stack.connect(created.patientToken);
  doctor = await stack.connect(doctorToken);
});
afterAll(async () => {
  await stack?.stop();
});

const events = Object.keys(clientRequestSchemas);
/** Random payloads per run: 300 in `make test`, more in `make security` (VISITA_FUZZ_RUNS). */
const RUNS = Number(process.env['VISITA_FUZZ_RUNS'] ?? 300);
const codes = new Set<string>(Object.values(ErrorCode));
const payload = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.record(
    { consultationId: fc.oneof(fc.string(), fc.constant('c'.repeat(100))), direction: fc.string(), kind: fc.string() },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      consultationId: fc.constantFrom('x', 'nope'),
      transportId: fc.uuid(),
      producerId: fc.uuid(),
      consumerId: fc.uuid(),
      dtlsParameters: fc.anything(),
      rtpParameters: fc.anything(),
      rtpCapabilities: fc.anything(),
      paused: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
);

it('answers every client event with a typed ack, whatever the payload', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...events), payload, fc.boolean(), async (event, body, asDoctor) => {
      const ack = (await (asDoctor ? doctor : patient).raw(event, body)) as Ack<unknown>;
      // Held: a typed ack, and never INTERNAL (a random payload may be valid: then it is simply answered).
      attack(
        'event fuzzing (random payloads)',
        event,
        typeof ack === 'object' && (ack.ok || (codes.has(ack.code) && ack.code !== ErrorCode.INTERNAL)),
      );
      expect(typeof ack).toBe('object');
      if (!ack.ok) {
        expect(codes.has(ack.code)).toBe(true);
        expect(ack.code).not.toBe(ErrorCode.INTERNAL);
        expect(typeof ack.message).toBe('string');
      }
    }),
    { numRuns: RUNS },
  );
  // Still alive and unchanged: the consultation waits, nobody was admitted, no room was opened.
  const view = await doctor.request('consultation:join', { consultationId });
  expect(view).toMatchObject({ ok: true, data: { state: 'waiting' } });
  expect(stack.node.roomIds).toEqual([]);
});

it('ignores events without an ack callback and unknown events, and stays up', async () => {
  const raw = patient.socket as unknown as { emit: (e: string, ...a: unknown[]) => void };
  raw.emit('consultation:admit', { consultationId });
  raw.emit('no:such:event', { x: 1 }, () => undefined);
  const view = await doctor.request('consultation:join', { consultationId });
  attack(
    'event fuzzing (random payloads)',
    'admit without ack callback, unknown event',
    view.ok && view.data.state === 'waiting' && patient.socket.connected,
  );
  expect(view).toMatchObject({ ok: true, data: { state: 'waiting' } });
  expect(patient.socket.connected).toBe(true);
});
