import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  LIVE_KEYS,
  compareDumps,
  connectClient,
  createConsultation,
  dumpRedis,
  login,
  withScratchRedis,
  type Dump,
  type TestClient,
} from '@visita/signaling/testing';
import { Platform } from './support/platform.ts';

// The restore drill (`make backup-drill`, and in `make test`), on `make start` as an operator runs
// it: real traffic, a backup (`bin/visita backup`), more traffic, a destructive mistake (a
// consultation deleted by hand in Redis), more traffic, a backup, and a point-in-time restore
// (`bin/visita restore --until`) to the second before the mistake into a fresh Redis: the mistake
// undone, nothing else lost, nothing after it let in. The first backup restores whole too. RPO and
// RTO are printed (docs/operations.md).
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const work = mkdtempSync(join(tmpdir(), 'visita-drill-'));
let platform: Platform;
let redis: Redis;
const clients: TestClient[] = [];
beforeAll(async () => {
  platform = await Platform.start();
  redis = platform.adminRedis();
});
afterAll(async () => {
  for (const c of clients) c.socket.close();
  redis?.disconnect();
  await platform?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** bin/visita as an operator runs it on this machine (make start's state dir: its keys and Redis). */
function visita(...args: string[]): { out: string; ms: number } {
  const started = Date.now();
  const out = execFileSync(join(root, 'bin/visita'), args, {
    encoding: 'utf8',
    env: { ...process.env, VISITA_STATE_DIR: platform.stateDir, VISITA_REDIS_PORT: String(platform.ports.redis) },
  });
  return { out: out.trim(), ms: Date.now() - started };
}
const ok = <T>(ack: { ok: true; data: T } | { ok: false; code: string; message: string }): T => {
  if (!ack.ok) throw new Error(`${ack.code}: ${ack.message}`);
  return ack.data;
};

/** Real traffic: consultations checked in, a call admitted with chat and hung up (audit, metering, usage). */
async function traffic(tag: string): Promise<string[]> {
  const token = await login(platform.signalingUrl, platform.login.email, platform.login.password);
  const doctor = await connectClient(platform.signalingUrl, token);
  clients.push(doctor);
  const ids: string[] = [];
  for (const name of [`${tag} one`, `${tag} two`]) {
    const c = await createConsultation(platform.signalingUrl, token);
    const patient = await connectClient(platform.signalingUrl, c.patientToken);
    clients.push(patient);
    ok(await patient.request('consultation:join', { consultationId: c.consultationId, displayName: name }));
    ids.push(c.consultationId);
  }
  ok(await doctor.request('consultation:join', { consultationId: ids[0]! }));
  ok(await doctor.request('consultation:admit', { consultationId: ids[0]! }));
  ok(await doctor.request('chat:send', { consultationId: ids[0]!, text: `${tag}: hello` }));
  ok(await doctor.request('consultation:hangUp', { consultationId: ids[0]! }));
  for (let i = 0; i < 50 && !(await redis.exists(`visita:usage:c:${ids[0]}`)); i++) await wait(100);
  return ids;
}

/** A Redis of its own on a restored directory, dumped. */
const dumpOf = (dir: string): Promise<Dump> => withScratchRedis(dir, (r) => dumpRedis(r));

/** Waits for the next second to begin (AOF timestamps are per second). */
const nextSecond = () => wait(1_000 - (Date.now() % 1_000) + 20);

it('restores to the second before a destructive mistake: the mistake undone, nothing else lost', async () => {
  const before = await traffic('A');
  const atBackup = await dumpRedis(redis);
  const first = visita('backup');
  expect(first.out).toMatch(/\.vbk$/);
  await traffic('B');
  // The mistake: someone deletes a consultation by hand, alone in its second.
  await nextSecond();
  const beforeMistake = await dumpRedis(redis);
  await nextSecond();
  const mistakeAt = Date.now();
  await redis.del(`visita:consultation:${before[1]}`);
  await nextSecond();
  const after = await traffic('C');
  const second = visita('backup');
  expect(readdirSync(join(platform.stateDir, 'backups')).filter((f) => f.endsWith('.vbk'))).toHaveLength(2);

  // Point in time: the second before the mistake, into a fresh directory and a fresh Redis.
  const until = Math.floor(mistakeAt / 1000) - 1;
  const restored = join(work, 'until');
  const pitr = visita('restore', second.out, '--into', restored, '--until', new Date(until * 1000).toISOString());
  const loadStarted = Date.now();
  const pitrDump = await dumpOf(restored);
  const loadMs = Date.now() - loadStarted;
  expect(pitrDump.keys.has(`visita:consultation:${before[1]}`)).toBe(true); // the mistake undone
  expect(compareDumps(beforeMistake, pitrDump, { live: LIVE_KEYS })).toEqual([]); // nothing else lost
  for (const id of after) expect(pitrDump.keys.has(`visita:consultation:${id}`)).toBe(false); // nothing after
  // The first backup, whole: everything written before it.
  const whole = join(work, 'whole');
  visita('restore', first.out, '--into', whole);
  expect(compareDumps(atBackup, await dumpOf(whole), { live: LIVE_KEYS })).toEqual([]);
  // A wrong key is refused, and nothing is written.
  expect(() =>
    execFileSync(join(root, 'bin/visita'), ['restore', second.out, '--into', join(work, 'wrong')], {
      env: {
        ...process.env,
        VISITA_STATE_DIR: platform.stateDir,
        VISITA_BACKUP_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      stdio: 'pipe',
    }),
  ).toThrow(/wrong VISITA_BACKUP_KEY/);
  expect(readdirSync(work).sort()).toEqual(['until', 'whole']);
  console.log(
    `restore drill: ${pitrDump.keys.size} keys restored to ${new Date(until * 1000).toISOString()} ` +
      `(the mistake at ${new Date(mistakeAt).toISOString()}); RPO of a point-in-time restore: the writes of ` +
      `${mistakeAt - until * 1000} ms before the mistake at most (AOF timestamps are per second); ` +
      `RTO: ${pitr.ms} ms for bin/visita restore (open, cut, check) + ${loadMs} ms for a fresh Redis to load (and dump) it; ` +
      `backups took ${first.ms} ms and ${second.ms} ms`,
  );
});
