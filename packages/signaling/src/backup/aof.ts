import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

// Redis 7's append-only file, as Visita's backups read it: a directory with a manifest naming a
// base (an RDB snapshot, or an AOF) and incremental AOF parts; with aof-timestamp-enabled each
// second of the incremental parts starts with a `#TS:<unix seconds>` line.

export interface AofPart {
  file: string;
  seq: number;
  /** b: base, h: history (being replaced by a rewrite), i: incremental. */
  type: 'b' | 'h' | 'i';
}

export const MANIFEST = 'appendonly.aof.manifest';

export function readManifest(dir: string): AofPart[] {
  return readFileSync(join(dir, MANIFEST), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const m = /^file (\S+) seq (\d+) type ([bhi])$/.exec(line.trim());
      if (!m) throw new Error(`unexpected line in ${MANIFEST}: ${line}`);
      return { file: m[1]!, seq: Number(m[2]), type: m[3] as AofPart['type'] };
    });
}

/**
 * Copies an AOF directory as it is now into `to`: the manifest, and each part it names cut at its
 * size now (Redis hands every write to the file before it answers, so everything acknowledged
 * before the copy is in it). A rewrite that replaces the parts meanwhile makes it start again.
 */
export function copyAof(from: string, to: string): void {
  for (let attempt = 1; ; attempt++) {
    rmSync(to, { recursive: true, force: true });
    mkdirSync(to, { recursive: true, mode: 0o700 });
    const manifest = readFileSync(join(from, MANIFEST));
    const parts = readManifest(from).filter((p) => p.type !== 'h');
    try {
      for (const p of parts) copyPrefix(join(from, p.file), join(to, p.file), statSync(join(from, p.file)).size);
    } catch (e) {
      if (attempt >= 5) throw e;
      continue; // a part removed by a rewrite meanwhile
    }
    if (!readFileSync(join(from, MANIFEST)).equals(manifest)) {
      if (attempt >= 5) throw new Error(`the AOF in ${from} keeps changing (rewrites): try again`);
      continue;
    }
    // The copy's manifest names the parts copied, without history parts.
    const lines = parts.map((p) => `file ${p.file} seq ${p.seq} type ${p.type}\n`).join('');
    writeFileSync(join(to, MANIFEST), lines, { mode: 0o600 });
    return;
  }
}

function copyPrefix(from: string, to: string, size: number): void {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks the AOF in `dir` with redis-check-aof; a last command cut by the copy is mended (the
 * part is truncated before it, as Redis itself would on load). Throws if it cannot be mended.
 */
export function checkAof(dir: string): void {
  const manifest = join(dir, MANIFEST);
  if (spawnSync('redis-check-aof', [manifest], { encoding: 'utf8' }).status === 0) return;
  const fixed = spawnSync('redis-check-aof', ['--fix', manifest], { input: 'y\n', encoding: 'utf8' });
  if (fixed.status !== 0 || spawnSync('redis-check-aof', [manifest]).status !== 0)
    throw new Error(`the AOF copied from Redis does not check out:\n${fixed.stdout}${fixed.stderr}`);
}

/** Cuts the AOF in `dir` after second `unixS`: every write of a later second is removed. */
export function truncateAof(dir: string, unixS: number): void {
  const r = spawnSync('redis-check-aof', ['--truncate-to-timestamp', String(unixS), join(dir, MANIFEST)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`redis-check-aof could not truncate to ${unixS}:\n${r.stdout}${r.stderr}`);
}

/**
 * The span of history an AOF directory holds: its base's time (an RDB base's `ctime`) and the
 * first and last seconds stamped in its incremental parts (unix seconds, null when none).
 */
export function aofHistory(dir: string): { baseAt: number | null; firstAt: number | null; lastAt: number | null } {
  const parts = readManifest(dir);
  const base = parts.find((p) => p.type === 'b');
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  for (const p of parts.filter((x) => x.type === 'i').sort((a, b) => a.seq - b.seq)) {
    const text = readFileSync(join(dir, p.file), 'latin1');
    for (const m of text.matchAll(/(?:^|\n)#TS:(\d+)\r\n/g)) {
      const t = Number(m[1]);
      firstAt ??= t;
      lastAt = t;
    }
  }
  return { baseAt: base?.file.endsWith('.rdb') ? rdbCreatedAt(join(dir, base.file)) : null, firstAt, lastAt };
}

/** An RDB file's `ctime` auxiliary field (unix seconds), or null. */
export function rdbCreatedAt(path: string): number | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(4096);
  const n = readSync(fd, b, 0, b.length, 0);
  closeSync(fd);
  if (b.subarray(0, 5).toString('latin1') !== 'REDIS') return null;
  // After the 9-byte signature, auxiliary fields (0xfa key value) come first.
  let at = 9;
  const take = (len: number): Buffer => {
    const out = b.subarray(at, at + len);
    at += len;
    return out;
  };
  /** An RDB string: length-prefixed bytes, or a small integer stored as one. */
  const rdbString = (): string | number | null => {
    const first = take(1)[0]!;
    const kind = first >> 6;
    if (kind === 0) return take(first & 0x3f).toString('latin1');
    if (kind === 1) return take(((first & 0x3f) << 8) | take(1)[0]!).toString('latin1');
    if (kind === 2) return take(take(4).readUInt32BE(0)).toString('latin1');
    const encoding = first & 0x3f;
    if (encoding === 0) return take(1).readInt8(0);
    if (encoding === 1) return take(2).readInt16LE(0);
    if (encoding === 2) return take(4).readInt32LE(0);
    return null; // compressed: not what an auxiliary field holds
  };
  while (at < n && b[at] === 0xfa) {
    at++;
    const key = rdbString();
    const value = rdbString();
    if (key === 'ctime') return typeof value === 'number' ? value : Number(value);
  }
  return null;
}
