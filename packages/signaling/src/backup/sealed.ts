import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

/**
 * A Visita backup file: `VISITA-BACKUP-1\n`, a 12-byte nonce, then AES-256-GCM of the payload, then
 * the 16-byte tag. The payload is one JSON line (what the backup holds: `meta`, and each file's name
 * and size) followed by the files' bytes, in that order. Nothing of it is trusted before the tag is
 * checked: a wrong key or a damaged file is refused whole.
 */
export const MAGIC = Buffer.from('VISITA-BACKUP-1\n');
const NONCE = 12;
const TAG = 16;
/** The payload's first line is at most this long (a backup holds a handful of files). */
const MAX_HEADER = 1 << 20;

export interface SealedFile {
  name: string;
  /** Where to read it, and how many bytes of it (a file still growing is cut at its size when listed). */
  path: string;
  size: number;
}

/** The backup key: 32 bytes, given as base64 (44 characters) or hex (64). */
export function backupKey(value: string | undefined): Buffer {
  if (!value)
    throw new Error(
      'VISITA_BACKUP_KEY is not set: 32 random bytes as base64 or hex (make start keeps one in its secrets)',
    );
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32 || (key.toString('base64') !== value && !/^[0-9a-fA-F]{64}$/.test(value)))
    throw new Error('VISITA_BACKUP_KEY must be 32 bytes, as base64 (44 characters) or hex (64)');
  return key;
}

/** Writes `files` and `meta` sealed with `key` to `out`, atomically (a `.part` file renamed at the end). */
export async function seal(out: string, key: Buffer, meta: object, files: SealedFile[]): Promise<number> {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const header = Buffer.from(`${JSON.stringify({ meta, files: files.map(({ name, size }) => ({ name, size })) })}\n`);
  if (header.length > MAX_HEADER) throw new Error('too many files for one backup');
  async function* plain() {
    yield header;
    for (const f of files) {
      if (f.size === 0) continue;
      yield* createReadStream(f.path, { start: 0, end: f.size - 1 });
    }
  }
  const part = `${out}.part`;
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const sink = createWriteStream(part, { mode: 0o600 });
  sink.write(Buffer.concat([MAGIC, nonce]));
  try {
    await pipeline(Readable.from(plain()), cipher, sink, { end: false });
    await new Promise<void>((resolve, reject) =>
      sink.end(cipher.getAuthTag(), (e?: Error | null) => (e ? reject(e) : resolve())),
    );
  } catch (e) {
    sink.destroy();
    rmSync(part, { force: true });
    throw e;
  }
  renameSync(part, out);
  return sink.bytesWritten;
}

/**
 * Opens a sealed backup into `dir` (which must not exist): the payload is decrypted to a scratch
 * file beside it, its tag checked, then split into `dir`'s files. Returns the backup's meta.
 */
export async function unseal<M>(file: string, key: Buffer, dir: string): Promise<M> {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(MAGIC.length + NONCE);
  const size = fstatSync(fd).size;
  readSync(fd, head, 0, head.length, 0);
  const tag = Buffer.alloc(TAG);
  if (size < head.length + TAG) {
    closeSync(fd);
    throw new Error(`${file} is not a Visita backup (too short)`);
  }
  readSync(fd, tag, 0, TAG, size - TAG);
  closeSync(fd);
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${file} is not a Visita backup`);
  const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(MAGIC.length));
  decipher.setAuthTag(tag);
  const scratch = `${dir}.payload`;
  mkdirSync(dirname(dir), { recursive: true });
  try {
    await pipeline(
      createReadStream(file, { start: head.length, end: size - TAG - 1 }),
      decipher,
      createWriteStream(scratch, { mode: 0o600 }),
    );
  } catch {
    rmSync(scratch, { force: true });
    throw new Error(`${file}: wrong VISITA_BACKUP_KEY, or the file is damaged (its authentication tag does not match)`);
  }
  try {
    return split<M>(scratch, dir);
  } finally {
    rmSync(scratch, { force: true });
  }
}

/** The payload (verified) into `dir`'s files. */
function split<M>(payload: string, dir: string): M {
  const fd = openSync(payload, 'r');
  try {
    const first = Buffer.alloc(Math.min(MAX_HEADER, fstatSync(fd).size));
    readSync(fd, first, 0, first.length, 0);
    const end = first.indexOf(0x0a);
    if (end < 0) throw new Error('a backup without its header');
    const header = JSON.parse(first.subarray(0, end).toString('utf8')) as {
      meta: M;
      files: Array<{ name: string; size: number }>;
    };
    const part = `${dir}.part`;
    rmSync(part, { recursive: true, force: true });
    mkdirSync(part, { recursive: true, mode: 0o700 });
    let at = end + 1;
    const chunk = Buffer.alloc(1 << 20);
    for (const f of header.files) {
      if (!/^[A-Za-z0-9._-]{1,128}(\/[A-Za-z0-9._-]{1,128})?$/.test(f.name))
        throw new Error(`a file named ${f.name} in a backup`);
      const target = join(part, f.name);
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      const out = openSync(target, 'w', 0o600);
      try {
        let left = f.size;
        while (left > 0) {
          const n = readSync(fd, chunk, 0, Math.min(chunk.length, left), at);
          if (n === 0) throw new Error('a backup shorter than its header says');
          writeSync(out, chunk.subarray(0, n));
          at += n;
          left -= n;
        }
      } finally {
        closeSync(out);
      }
    }
    renameSync(part, dir);
    return header.meta;
  } finally {
    closeSync(fd);
  }
}
