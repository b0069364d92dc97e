import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { SFU_NODES_SET, sfuNodeKey } from '@visita/protocol';
import { Autoscaler, AUTOSCALER_LEASE_KEY, type TickReport } from '../src/autoscale/Autoscaler.ts';
import { readCapacityStatus } from '../src/autoscale/capacityStatus.ts';
import type { ScalingPolicy } from '../src/autoscale/decide.ts';
import { Lease } from '../src/autoscale/Lease.ts';
import { LocalProvider } from '../src/autoscale/LocalProvider.ts';
import { createLogger } from '../src/logger.ts';
import { SfuProcess } from './support/sfuProcess.ts';
import { SFU_SECRET, TestStack, type TestClient } from './support/stack.ts';

// The autoscaler with real parts: SFU node processes started and drained by the local provider,
// the lease and the demand in a real redis-server, calls admitted through real signaling. The
// stack's own in-process node is draining throughout: only the nodes started here take calls.
let stack: TestStack;
let redis: Redis;
const providers: LocalProvider[] = [];
const extraNodes: SfuProcess[] = [];
const log = createLogger(process.env['VISITA_TEST_LOG'] ?? 'silent');
const sfuMain = join(dirname(fileURLToPath(import.meta.url)), '../../sfu/src/main.ts');

beforeAll(async () => {
  stack = await TestStack.start();
  await stack.sfu.setDraining(true);
  redis = new Redis(stack.redis.url);
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  // Killed outright, their records would outlive them for a few seconds: removed here.
  for (const n of extraNodes.splice(0)) {
    await n.kill('SIGKILL');
    await redis.multi().del(sfuNodeKey(n.nodeId)).srem(SFU_NODES_SET, n.nodeId).exec();
  }
  await redis.del(AUTOSCALER_LEASE_KEY, 'visita:autoscaler:state', 'visita:autoscaler:status');
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

const policy: ScalingPolicy = {
  minNodes: 0,
  maxNodes: 2,
  consumersPerNode: 8, // overridden by the nodes' own VISITA_SFU_MAX_CONSUMERS
  consumersPerCall: 4,
  waitingPerPractitioner: 2,
  headroom: 0,
  leadMinutes: 0,
  scaleInCooldownMs: 2_000,
  prewarm: [],
  utcOffsetMinutes: 0,
};

// Each provider's own control and metrics port slots, below the ephemeral range (two random free
// ports can be adjacent: a slot's port would then be another's, and its node could not start).
let portSlots = 21_000;

async function provider(rtcPortBase: number): Promise<LocalProvider> {
  const ports = portSlots;
  portSlots += 20;
  const p = new LocalProvider({
    sfuMain,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...(process.env['MEDIASOUP_WORKER_BIN'] ? { MEDIASOUP_WORKER_BIN: process.env['MEDIASOUP_WORKER_BIN'] } : {}),
      VISITA_SFU_SECRET: SFU_SECRET,
      VISITA_REDIS_URL: stack.redis.urls.sfu,
      VISITA_SFU_WORKERS: '1',
      VISITA_SFU_MAX_CONSUMERS: '8', // two calls per node
      VISITA_RTC_LISTEN_IP: '127.0.0.1',
      VISITA_LOG_LEVEL: process.env['VISITA_TEST_LOG'] ?? 'warn',
    },
    controlPortBase: ports,
    metricsPortBase: ports + 10,
    rtcPortBase,
    rtcPortsPerNode: 500,
    slots: 2,
    idPrefix: 'auto',
    log,
  });
  providers.push(p);
  return p;
}

function autoscaler(p: LocalProvider, holder: string, scaling = policy): Autoscaler {
  return new Autoscaler({
    redis,
    lease: new Lease(redis, AUTOSCALER_LEASE_KEY, holder, 3_000),
    provider: p,
    nodes: () => stack.signaling.sfu.nodes(),
    policy: scaling,
    growthWindowMs: 5_000,
    log,
  });
}

/** Ticks every 200 ms until `done` holds for the report; returns it. */
async function tickUntil(a: Autoscaler, done: (r: TickReport) => boolean, timeoutMs = 20_000): Promise<TickReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await a.tick();
    if (r && done(r)) return r;
    if (Date.now() > deadline) throw new Error(`autoscaler did not get there: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function waitingPatient(token: string): Promise<{ id: string; doctor: TestClient; patient: TestClient }> {
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const [doctor, patient] = await Promise.all([stack.connect(token), stack.connect(patientToken)]);
  await patient.request('consultation:join', { consultationId, displayName: 'P' });
  await doctor.request('consultation:join', { consultationId });
  return { id: consultationId, doctor, patient };
}

const nodeOf = (id: string) => redis.hget(`visita:consultation:${id}`, 'nodeId');

it('admits when full: the admission waits, both sides are told, and the call starts once a node serves', async () => {
  const token = await stack.login();
  const c = await waitingPatient(token);
  const told = c.patient.until('consultation:updated', (v) => v.admission !== undefined, 5_000);
  const ack = await c.doctor.request('consultation:admit', { consultationId: c.id });
  expect(ack.ok && ack.data).toMatchObject({ state: 'waiting', admission: { etaMs: null } });
  expect((await told).admission?.since).toBeGreaterThan(0);
  const admitted = Promise.all([c.patient, c.doctor].map((s) => s.until('consultation:admitted', () => true, 15_000)));
  // Nothing happens while no node has room.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await nodeOf(c.id)).toBeFalsy();
  const node = await SfuProcess.start(stack.redis, 'late-node', [59000, 59499]);
  extraNodes.push(node);
  const servedAt = Date.now();
  await admitted;
  const startedMs = Date.now() - servedAt;
  expect(await nodeOf(c.id)).toBe('late-node');
  // A real call: both microphones reach the node.
  await Promise.all([c.patient.sendAudio(c.id), c.doctor.sendAudio(c.id)]);
  const metrics = await stack.signaling.metrics.registry.getSingleMetricAsString(
    'visita_signaling_admissions_delayed_total',
  );
  expect(metrics).toMatch(/ 1$/m);
  console.log(`delayed admission: call started ${startedMs} ms after the node's first heartbeat`);
  await c.doctor.request('consultation:hangUp', { consultationId: c.id });
});

it('leads alone, scales out on demand, shows the estimate, and drains only idle nodes after the cooldown', async () => {
  const token = await stack.login();
  const p = await provider(58000);
  const a = autoscaler(p, 'cand-a');
  const b = autoscaler(await provider(58000), 'cand-b');
  expect((await a.tick())?.decision).toMatchObject({ action: 'none', required: 0 });
  expect(await b.tick()).toBeNull(); // one leader
  // A patient checks in: one call to come, no node → a node is started at once.
  const first = await waitingPatient(token);
  const out = await a.tick();
  expect(out?.decision).toMatchObject({ action: 'scaleOut', add: 1 });
  const asked = Date.now();
  expect(p.starting()).toHaveLength(1);
  // Admitted before the node serves: the admission waits with the autoscaler's estimate.
  const ack = await first.doctor.request('consultation:admit', { consultationId: first.id });
  expect(ack.ok && ack.data.admission?.etaMs).toBeGreaterThan(0);
  const status = await readCapacityStatus(redis, Date.now());
  expect(status).toMatchObject({ starting: 1, desired: 1 });
  const admitted = first.patient.until('consultation:admitted', () => true, 20_000);
  await tickUntil(a, (r) => r.serving === 1 && r.starting === 0);
  await admitted;
  const carried = Date.now() - asked;
  expect(await nodeOf(first.id)).toMatch(/^auto-1-/);
  // Two more patients: three calls to come, two per node → a second node (the maximum).
  const more = [await waitingPatient(token), await waitingPatient(token)];
  await tickUntil(a, (r) => r.serving === 2);
  expect(p.nodeIds).toHaveLength(2);
  const busy = await nodeOf(first.id);
  for (const m of more) await m.doctor.request('consultation:decline', { consultationId: m.id, reason: 'later' });
  expect((await a.tick())?.decision).toMatchObject({ action: 'none', reason: 'scale-in cooldown' });
  // After the cooldown: one call left → one node; the idle one is drained, never the busy one.
  await new Promise((r) => setTimeout(r, policy.scaleInCooldownMs));
  const scaleIn = await a.tick();
  expect(scaleIn?.decision.action).toBe('scaleIn');
  const drained = scaleIn?.decision.action === 'scaleIn' ? scaleIn.decision.drain : [];
  expect(drained).toHaveLength(1);
  expect(drained).not.toContain(busy);
  await expectGone(drained[0]!);
  expect(await nodeOf(first.id)).toBe(busy); // the call stayed where it was
  // The call ends: after the cooldown the last node drains too (minimum 0).
  await first.doctor.request('consultation:hangUp', { consultationId: first.id });
  await new Promise((r) => setTimeout(r, policy.scaleInCooldownMs));
  const last = await tickUntil(a, (r) => r.decision.action === 'scaleIn');
  expect(last.decision).toMatchObject({ drain: [busy] });
  await expectGone(busy!);
  console.log(
    `autoscaler: demand → node carrying the call in ${carried} ms (start-ups measured: ${p.startups.join(', ')} ms)`,
  );
});

it('hands the lead over (crash: after the lease lapses; clean stop: at once), and the new leader keeps the cooldown', async () => {
  const token = await stack.login();
  const slow = { ...policy, scaleInCooldownMs: 60_000 };
  const a = autoscaler(await provider(58000), 'cand-a', slow);
  const b = autoscaler(await provider(58000), 'cand-b', slow);
  const c = await waitingPatient(token);
  expect((await a.tick())?.decision.action).toBe('scaleOut');
  expect(await b.tick()).toBeNull();
  // a stops ticking without a word (crashed): b leads once the 3 s lease has lapsed, not before.
  const crashedAt = Date.now();
  let report: TickReport | null = null;
  while (report === null) {
    report = await b.tick();
    if (report === null) await new Promise((r) => setTimeout(r, 100));
  }
  const tookOverMs = Date.now() - crashedAt;
  expect(tookOverMs).toBeGreaterThanOrEqual(2_500);
  expect(await a.tick()).toBeNull(); // a is back: b keeps the lead
  // The patient leaves: a's node is surplus once it serves, but a scaled out within the cooldown,
  // which b reads from Redis.
  await c.doctor.request('consultation:decline', { consultationId: c.id, reason: 'later' });
  const after = await tickUntil(b, (r) => r.serving === 1);
  expect(after.decision).toMatchObject({ action: 'none', reason: 'scale-in cooldown' });
  // b stops cleanly (releases the lease): a leads at once.
  await b.run(60_000)();
  expect(await a.tick()).not.toBeNull();
  console.log(`autoscaler lease: taken over ${tookOverMs} ms after the leader stopped ticking`);
});

async function expectGone(nodeId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (await redis.exists(sfuNodeKey(nodeId))) {
    if (Date.now() > deadline) throw new Error(`node ${nodeId} still has a record`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
