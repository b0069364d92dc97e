import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ObjectStore } from '../src/backup/objectStore.ts';
import { RedisServer, freePort } from './support/redisServer.ts';

// Backups copied to an S3-compatible object store (moto's server standing in for S3: the same API,
// Signature Version 4 — moto does not check the credentials) and restored from it with bin/visita's
// backup CLI; --keep applies there too.
const MOTO = process.env['VISITA_MOTO'];
const main = resolve(import.meta.dirname, '../src/backup/main.ts');
const work = mkdtempSync(join(tmpdir(), 'visita-s3-'));
let moto: ChildProcess | undefined;
let redis: RedisServer;
let port: number;
const s3 = (over: Record<string, string> = {}) => ({
  VISITA_BACKUP_S3_URL: `http://127.0.0.1:${port}/visita-backups/practice-1`,
  VISITA_BACKUP_S3_ACCESS_KEY_ID: 'test-access-key',
  VISITA_BACKUP_S3_SECRET_ACCESS_KEY: 'test-secret-key',
  VISITA_BACKUP_S3_REGION: 'eu-west-3',
  ...over,
});
const key = Buffer.alloc(32, 9).toString('base64');

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VISITA_BACKUP_KEY: key, ...env },
  });
}

beforeAll(async () => {
  expect(MOTO, 'VISITA_MOTO (scripts/ensure-moto.sh; make test sets it)').toBeTruthy();
  port = await freePort();
  moto = spawn(MOTO!, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
    )
      break;
    if (i > 200) throw new Error('moto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = s3();
  await new ObjectStore({
    url: new URL(env.VISITA_BACKUP_S3_URL),
    region: env.VISITA_BACKUP_S3_REGION,
    accessKeyId: env.VISITA_BACKUP_S3_ACCESS_KEY_ID,
    secretAccessKey: env.VISITA_BACKUP_S3_SECRET_ACCESS_KEY,
  }).createBucket();
  redis = await RedisServer.start();
});
afterAll(async () => {
  moto?.kill();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

it('copies each backup to the object store, keeps the newest there too, and restores from it', async () => {
  const admin = new Redis(redis.url);
  try {
    for (let i = 0; i < 3; i++) {
      await admin.set(`visita:k${i}`, String(i));
      const r = cli(
        ['backup', '--data-dir', join(redis.dir, 'appendonlydir'), '--to', join(work, 'local'), '--keep', '2'],
        s3(),
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`copied to http://127.0.0.1:${port}/visita-backups/practice-1/visita-`);
      await new Promise((r) => setTimeout(r, 20)); // names are to the millisecond
    }
  } finally {
    admin.disconnect();
  }
  const local = readdirSync(join(work, 'local')).filter((f) => f.endsWith('.vbk'));
  const env = s3();
  const store = new ObjectStore({
    url: new URL(env.VISITA_BACKUP_S3_URL),
    region: env.VISITA_BACKUP_S3_REGION,
    accessKeyId: env.VISITA_BACKUP_S3_ACCESS_KEY_ID,
    secretAccessKey: env.VISITA_BACKUP_S3_SECRET_ACCESS_KEY,
  });
  const remote = (await store.list()).sort();
  expect(local).toHaveLength(2);
  expect(remote).toEqual(local.sort());
  // The machine is lost: the newest backup, from the object store.
  const restored = cli(['restore', `s3:${remote.at(-1)}`, '--into', join(work, 'restored')], s3());
  expect(restored.status, restored.stderr).toBe(0);
  expect(restored.stderr).toMatch(/restored 3 keys/);
  expect(readdirSync(work).sort()).toEqual(['local', 'restored']); // the download removed
  // A backup that is not there: said so, nothing written.
  const missing = cli(['restore', 's3:visita-1999-01-01T00-00-00-000Z.vbk', '--into', join(work, 'nope')], s3());
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/no http:.+visita-1999-01-01T00-00-00-000Z\.vbk in the object store: HTTP 404/);
  expect(readdirSync(work).sort()).toEqual(['local', 'restored']);
});
