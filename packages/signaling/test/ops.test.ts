import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OpsStatus } from '@visita/protocol';
import { addAccount } from '../src/accounts/manage.ts';
import { DEMO, TestStack, testAccountStore } from './support/stack.ts';

// GET /api/ops/status against the real stack (a real SFU node, Redis, Socket.IO clients), and the
// names and reason the consultation view now carries.
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start({ env: { VISITA_PRACTICE_NAME: 'Cabinet Saint-Michel' } });
  const redis = new Redis(stack.redis.url);
  await addAccount(testAccountStore(redis), {
    email: 'ops@visita.test',
    name: 'Ops',
    role: 'ops',
    password: 'ops password 123',
  });
  redis.disconnect();
});
afterAll(async () => {
  await stack?.stop();
});

const status = async (token: string) => {
  const res = await fetch(`${stack.signalingUrl}/api/ops/status`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data: OpsStatus; code?: string } };
};

it('shows ops the nodes, calls, waiting rooms and longest waits; a practitioner is refused', async () => {
  const doctorToken = await stack.login();
  const opsToken = await stack.loginAs('ops@visita.test', 'ops password 123');
  expect(await status(doctorToken)).toMatchObject({ status: 403, body: { ok: false, code: 'FORBIDDEN' } });
  expect((await fetch(`${stack.signalingUrl}/api/ops/status`)).status).toBe(401);

  // Two patients wait; the first gave a reason. Then one is admitted.
  const first = await stack.createConsultation(doctorToken);
  const second = await stack.createConsultation(doctorToken);
  const a = await stack.connect(first.patientToken);
  const b = await stack.connect(second.patientToken);
  const joined = await a.request('consultation:join', {
    consultationId: first.consultationId,
    displayName: 'Alice',
    reason: 'Fièvre',
  });
  // The view says who the patient waits for, where, and the reason given.
  expect(joined).toMatchObject({
    ok: true,
    data: { patientName: 'Alice', reason: 'Fièvre', practitionerName: DEMO.name, practiceName: 'Cabinet Saint-Michel' },
  });
  await b.request('consultation:join', { consultationId: second.consultationId, displayName: 'Bob' });
  // Coming back without a reason keeps the one given.
  const again = await a.request('consultation:join', { consultationId: first.consultationId });
  expect(again).toMatchObject({ ok: true, data: { reason: 'Fièvre', patientName: 'Alice' } });

  const before = (await status(opsToken)).body.data;
  expect(before.nodes).toEqual([
    expect.objectContaining({ nodeId: 'sfu-test', state: 'serving', rooms: 0, workers: expect.any(Number) }),
  ]);
  expect(before.nodes[0]!.maxConsumers).toBeGreaterThan(0);
  expect(before.callsInProgress).toBe(0);
  expect(before.waiting.total).toBe(2);
  expect(before.waiting.practitioners).toEqual([
    expect.objectContaining({ name: DEMO.name, waiting: 2, longestWaitMs: expect.any(Number) }),
  ]);
  expect(before.autoscaler).toBeNull();

  const doctor = await stack.connect(doctorToken);
  await doctor.request('consultation:join', { consultationId: first.consultationId });
  expect(await doctor.request('consultation:admit', { consultationId: first.consultationId })).toMatchObject({
    ok: true,
  });
  const after = (await status(opsToken)).body.data;
  expect(after.callsInProgress).toBe(1);
  expect(after.waiting.total).toBe(1);
  expect(after.waiting.practitioners[0]).toMatchObject({ waiting: 1 });

  // Per worker, from the node's next heartbeats: the call on one worker, each worker's share of the
  // node's capacity, its CPU; and the waiting patient's network test, apart from the calls.
  await b.request('probe:open', { consultationId: second.consultationId });
  const deadline = Date.now() + 10_000;
  let node = after.nodes[0]!;
  while ((node.rooms !== 1 || node.probes !== 1) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    node = (await status(opsToken)).body.data.nodes[0]!;
  }
  expect(node).toMatchObject({ rooms: 1, probes: 1 });
  expect(node.perWorker).toHaveLength(node.workers);
  expect(node.perWorker!.map((w) => w.rooms).sort()).toEqual([1, ...Array(node.workers - 1).fill(0)].sort());
  for (const w of node.perWorker!)
    expect(w).toEqual({ pid: expect.any(Number), rooms: expect.any(Number), consumers: 0, cpu: expect.any(Number) });
});
