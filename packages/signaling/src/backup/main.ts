import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisEnv, redisEndpoint, redisOptions } from '@visita/protocol/redis';
import { aofHistory, checkAof, copyAof, rdbCreatedAt, truncateAof } from './aof.ts';
import { backupKey, seal, unseal, type SealedFile } from './sealed.ts';
import { ObjectStore, objectStoreFromEnv } from './objectStore.ts';
import { withScratchRedis } from './scratchRedis.ts';

// `visita backup [--to DIR] [--data-dir DIR | --snapshot] [--keep N]`
// `visita restore FILE --into DIR [--until TIME]`
// Backups are sealed with VISITA_BACKUP_KEY (AES-256-GCM); see docs/operations.md.
const usage = `usage:
  visita backup [--to DIR] [--data-dir DIR] [--keep N]
      copies make start's Redis append-only file (or --data-dir's), sealed, to DIR
      (default .state/run/backups): restorable to any second it holds (--until)
  visita backup --snapshot [--to DIR] [--keep N]
      a snapshot of the primary over the network (VISITA_REDIS_URL / VISITA_REDIS_SENTINELS, as the
      administrator): for a Redis whose files are elsewhere (Kubernetes); restorable to its own time
  visita restore FILE --into DIR [--until TIME]
      opens a backup into DIR (which must not exist), cut after TIME (ISO 8601, or unix seconds)
      if given, and loads it in a Redis of its own to check it; FILE may be s3:NAME (the object store)
  --keep N: keep the newest N backups in DIR (default 30), and in the object store.
  The key: VISITA_BACKUP_KEY. An object store (S3-compatible API), where every backup is copied too:
  VISITA_BACKUP_S3_URL (https://host/bucket[/prefix]), VISITA_BACKUP_S3_ACCESS_KEY_ID,
  VISITA_BACKUP_S3_SECRET_ACCESS_KEY, VISITA_BACKUP_S3_REGION.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: 'string' },
    'data-dir': { type: 'string' },
    snapshot: { type: 'boolean', default: false },
    keep: { type: 'string', default: '30' },
    into: { type: 'string' },
    until: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`visita: ${message}`);
  process.exit(2);
}
const step = (line: string) => console.error(`[visita backup ${new Date().toTimeString().slice(0, 8)}] ${line}`);
const iso = (unixS: number | null | undefined) => (unixS ? new Date(unixS * 1000).toISOString() : 'unknown');

/** What a backup file holds, besides its files. */
interface BackupMeta {
  version: 1;
  kind: 'aof' | 'rdb';
  createdAt: string;
  /** aof: the span of history (unix seconds); rdb: the snapshot's time. */
  history: { baseAt: number | null; firstAt: number | null; lastAt: number | null };
}

const stateDir = resolve(process.env['VISITA_STATE_DIR'] ?? join(import.meta.dirname, '../../../../.state/run'));
const [command, file] = positionals;
if (values.help || !command) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
try {
  if (command === 'backup') await backup();
  else if (command === 'restore') await restore();
  else fail(`unknown command "${command}"\n${usage}`);
} catch (e) {
  fail((e as Error).message);
}

async function backup(): Promise<void> {
  const key = backupKey(process.env['VISITA_BACKUP_KEY']);
  const keep = Number(values.keep);
  if (!Number.isInteger(keep) || keep < 1) fail('--keep must be a whole number, at least 1');
  const to = resolve(values.to ?? join(stateDir, 'backups'));
  const started = Date.now();
  mkdirSync(to, { recursive: true, mode: 0o700 });
  const stage = mkdtempSync(join(to, '.staging-'));
  try {
    let meta: BackupMeta;
    let files: SealedFile[];
    if (values.snapshot) {
      const at = await snapshot(join(stage, 'dump.rdb'));
      meta = {
        version: 1,
        kind: 'rdb',
        createdAt: new Date().toISOString(),
        history: { baseAt: at, firstAt: at, lastAt: at },
      };
      files = [{ name: 'dump.rdb', path: join(stage, 'dump.rdb'), size: statSync(join(stage, 'dump.rdb')).size }];
    } else {
      const from = resolve(values['data-dir'] ?? join(stateDir, 'redis', 'appendonlydir'));
      if (!existsSync(join(from, 'appendonly.aof.manifest')))
        fail(
          `no append-only file in ${from} (is Redis running with make start's configuration? --data-dir to point elsewhere)`,
        );
      const aof = join(stage, 'appendonlydir');
      copyAof(from, aof);
      checkAof(aof);
      meta = { version: 1, kind: 'aof', createdAt: new Date().toISOString(), history: aofHistory(aof) };
      files = readdirSync(aof).map((f) => ({
        name: `appendonlydir/${f}`,
        path: join(aof, f),
        size: statSync(join(aof, f)).size,
      }));
    }
    const out = join(to, `visita-${meta.createdAt.replace(/[:.]/g, '-')}.vbk`);
    const bytes = await seal(out, key, meta, files);
    const h = meta.history;
    console.log(out);
    step(
      `backup written: ${out} (${(bytes / 1024).toFixed(1)} kB, ${meta.kind === 'aof' ? `history from ${iso(h.baseAt ?? h.firstAt)} to ${iso(h.lastAt)}` : `snapshot of ${iso(h.lastAt)}`}) in ${Date.now() - started} ms`,
    );
    const old = readdirSync(to)
      .filter((f) => /^visita-.*\.vbk$/.test(f))
      .sort()
      .reverse()
      .slice(keep);
    for (const f of old) unlinkSync(join(to, f));
    if (old.length > 0) step(`removed ${old.length} older backup(s) (--keep ${keep})`);
    const store = objectStore();
    if (store) {
      const name = out.slice(to.length + 1);
      await store.put(name, out);
      step(`copied to ${store.where(name)}`);
      const older = (await store.list())
        .filter((f) => /^visita-.*\.vbk$/.test(f))
        .sort()
        .reverse()
        .slice(keep);
      for (const f of older) await store.delete(f);
      if (older.length > 0) step(`removed ${older.length} older backup(s) from the object store (--keep ${keep})`);
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A consistent snapshot of the primary (redis-cli --rdb as the administrator); its time, unix seconds. */
async function snapshot(out: string): Promise<number> {
  const env = z.object(RedisEnv).safeParse(process.env);
  if (!env.success) fail(`invalid Redis settings: ${env.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const endpoint = redisEndpoint(env.data);
  const url = new URL(endpoint.url);
  let host = url.hostname;
  let port = Number(url.port || 6379);
  if (endpoint.sentinels) {
    // The primary now, as the sentinels name it.
    const redis = new Redis(redisOptions(endpoint, { connectionName: 'backup' }));
    redis.on('error', () => undefined);
    try {
      await redis.ping();
      const s = redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
      host = s?.remoteAddress ?? host;
      port = s?.remotePort ?? port;
    } finally {
      redis.disconnect();
    }
  }
  const at = Math.floor(Date.now() / 1000);
  const r = spawnSync(
    'redis-cli',
    [
      '-h',
      host,
      '-p',
      String(port),
      '--user',
      decodeURIComponent(url.username || 'default'),
      '--no-auth-warning',
      '--rdb',
      out,
    ],
    { env: { ...process.env, REDISCLI_AUTH: decodeURIComponent(url.password) }, encoding: 'utf8' },
  );
  if (r.status !== 0 || !existsSync(out)) throw new Error(`the snapshot failed: ${(r.stderr || r.stdout).trim()}`);
  return rdbCreatedAt(out) ?? at;
}

async function restore(): Promise<void> {
  if (!file) fail('which backup? visita restore FILE --into DIR [--until TIME]');
  if (!values.into) fail('--into DIR is required (a directory that does not exist yet)');
  const key = backupKey(process.env['VISITA_BACKUP_KEY']);
  const into = resolve(values.into);
  if (existsSync(into)) fail(`${into} exists: restore into a new directory (nothing is ever overwritten)`);
  const until = values.until === undefined ? undefined : parseTime(values.until);
  const started = Date.now();
  let sealed = resolve(file);
  const fromStore = file.startsWith('s3:') ? objectStore() : null;
  if (file.startsWith('s3:')) {
    if (!fromStore) fail('s3:NAME needs VISITA_BACKUP_S3_URL and its keys');
    sealed = `${into}.download`;
    mkdirSync(dirname(into), { recursive: true });
    await fromStore.get(file.slice(3), sealed);
    step(`fetched ${fromStore.where(file.slice(3))}`);
  }
  const meta = await unseal<BackupMeta>(sealed, key, into).finally(() => {
    if (fromStore) rmSync(sealed, { force: true });
  });
  try {
    const h = meta.history;
    let asOf = h.lastAt;
    if (meta.kind === 'aof') {
      const aof = join(into, 'appendonlydir');
      if (until !== undefined) {
        const from = h.baseAt ?? h.firstAt;
        if (from !== null && until < from)
          throw new Error(`this backup holds the history from ${iso(from)}: restore an older backup for ${iso(until)}`);
        truncateAof(aof, until);
        asOf = Math.min(until, h.lastAt ?? until);
      }
    } else {
      if (until !== undefined && until !== h.lastAt)
        throw new Error(
          `a snapshot restores to its own time only (${iso(h.lastAt)}); use an append-only file backup for --until`,
        );
      // Loaded from the snapshot, then written as the append-only file Visita's Redis reads.
      await withScratchRedis(
        into,
        async (redis) => {
          await redis.config('SET', 'appendonly', 'yes');
          for (;;) {
            const info = await redis.info('persistence');
            if (
              /aof_enabled:1/.test(info) &&
              /aof_rewrite_in_progress:0/.test(info) &&
              /aof_rewrite_scheduled:0/.test(info)
            )
              break;
            await new Promise((r) => setTimeout(r, 100));
          }
        },
        { appendonly: false },
      );
      unlinkSync(join(into, 'dump.rdb'));
    }
    const keys = await withScratchRedis(into, (redis) => redis.dbsize());
    console.log(into);
    step(`restored ${keys} keys as of ${iso(asOf)} into ${into}/appendonlydir in ${Date.now() - started} ms`);
    step(
      'to run on it: stop Visita (Ctrl-C), move .state/run/redis/appendonlydir aside, put this appendonlydir in its place, make start (docs/operations.md)',
    );
  } catch (e) {
    rmSync(into, { recursive: true, force: true });
    throw e;
  }
}

function objectStore(): ObjectStore | null {
  const config = objectStoreFromEnv(process.env);
  return config ? new ObjectStore(config) : null;
}

function parseTime(value: string): number {
  const s = /^\d{9,11}$/.test(value) ? Number(value) : Math.floor(Date.parse(value) / 1000);
  if (!Number.isFinite(s))
    fail(`--until: ${value} is not a time (ISO 8601, e.g. 2026-12-07T14:05:00Z, or unix seconds)`);
  return s;
}
