import { afterEach, beforeAll, afterAll, expect, it } from 'vitest';
import { SfuProcess } from './support/sfuProcess.ts';
import { TestStack, startCall, type TestClient } from './support/stack.ts';

// Draining an SFU node with real processes: SIGTERM announces it (no new placements), calls in
// progress go on, those left when the drain time is over are moved to another node (both sides
// told to rebuild), then the node exits 0; a second signal stops it at once.
let stack: TestStack;
let spawned: SfuProcess[] = [];
// Each node its own RTC ports, apart from those of the other test files running in parallel.
let port = 56000;
beforeAll(async () => {
  stack = await TestStack.start();
  await stack.sfu.setDraining(true); // calls go to the node processes only
});
// Each test's calls end with it: a call left open would be moved onto the next test's node when its
// own node is killed here, and keep that node from draining.
let calls: Array<{ id: string; doctor: TestClient }> = [];
afterEach(async () => {
  await Promise.all(calls.map((c) => c.doctor.request('consultation:hangUp', { consultationId: c.id })));
  calls = [];
  await Promise.all(spawned.map((n) => n.kill('SIGKILL')));
  spawned = [];
});
afterAll(async () => {
  await stack?.stop();
});

async function node(id: string, env: Record<string, string> = {}): Promise<SfuProcess> {
  // Its log at info level: a drain that does not end says where it stopped.
  const n = await SfuProcess.start(stack.redis, id, [port, port + 499], { VISITA_LOG_LEVEL: 'info', ...env });
  port += 500;
  spawned.push(n);
  return n;
}

async function call(): Promise<{ id: string; doctor: TestClient; patient: TestClient }> {
  const { consultationId, doctor, patient } = await startCall(stack);
  calls.push({ id: consultationId, doctor });
  return { id: consultationId, doctor, patient };
}

const nodeOf = (id: string) => stack.signaling.redis.hget(`visita:consultation:${id}`, 'nodeId');

it('keeps a call on a draining node until the drain time is over, then moves it and exits 0', async () => {
  const a = await node('drain-a', { VISITA_SFU_DRAIN_MAX_MS: '3000' });
  const c = await call();
  expect(await nodeOf(c.id)).toBe('drain-a');
  const b = await node('drain-b');
  const exit = a.exited();
  const moved = Promise.all([c.patient, c.doctor].map((s) => s.until('consultation:admitted', () => true, 10_000)));
  const drainAt = Date.now();
  a.proc.kill('SIGTERM');
  // Announced at once: new calls go to the other node while the first one stays.
  await new Promise((r) => setTimeout(r, 300));
  expect((await stack.signaling.sfu.nodes()).find((n) => n.nodeId === 'drain-a')?.state).toBe('draining');
  const second = await call();
  expect(await nodeOf(second.id)).toBe(b.nodeId);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await nodeOf(c.id)).toBe('drain-a');
  expect(a.proc.exitCode).toBeNull();
  // The drain time is over: moved to the other node, both sides told, and the node exits 0.
  await moved;
  // Moved while the node was still up (from its 'drained' room closings), not later from the
  // loss of its connection when it exits.
  expect(a.proc.exitCode).toBeNull();
  const movedAfter = Date.now() - drainAt;
  expect(movedAfter).toBeGreaterThanOrEqual(3_000);
  expect(await nodeOf(c.id)).toBe(b.nodeId);
  expect(await exit).toBe(0);
  const records = await stack.signaling.audit.list({});
  expect(records.filter((r) => r.consultationId === c.id).map((r) => r.action)).toContain('media_moved');
  await Promise.all([c.patient.produceAudio(c.id), c.doctor.produceAudio(c.id)]);
});

it('lets a draining node exit 0 as soon as its last call ends', async () => {
  const a = await node('drain-c', { VISITA_SFU_DRAIN_MAX_MS: '600000' });
  const c = await call();
  expect(await nodeOf(c.id)).toBe('drain-c');
  const exit = a.exited();
  a.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1_000));
  expect(a.proc.exitCode).toBeNull();
  await c.doctor.request('consultation:hangUp', { consultationId: c.id });
  expect(await exit).toBe(0);
});

it('stops at once on a second signal; the call is moved when the connection closes', async () => {
  const a = await node('drain-d', { VISITA_SFU_DRAIN_MAX_MS: '600000' });
  const c = await call();
  await node('drain-e');
  const exit = a.exited();
  const moved = Promise.all([c.patient, c.doctor].map((s) => s.until('consultation:admitted', () => true, 10_000)));
  a.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  a.proc.kill('SIGTERM');
  expect(await exit).toBe(0);
  await moved;
  expect(await nodeOf(c.id)).toBe('drain-e');
});
