import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { backupKey, seal, unseal } from './sealed.ts';

const dir = mkdtempSync(join(tmpdir(), 'visita-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = Buffer.alloc(32, 1);

async function sealed(name: string): Promise<string> {
  writeFileSync(join(dir, `${name}-a`), 'first file\n');
  writeFileSync(join(dir, `${name}-b`), Buffer.alloc(3 * 1024 * 1024 + 5, 0xab)); // several chunks
  writeFileSync(join(dir, `${name}-c`), 'growing: only this much was there');
  const out = join(dir, `${name}.vbk`);
  await seal(out, key, { kind: 'test', n: 1 }, [
    { name: 'a.txt', path: join(dir, `${name}-a`), size: 11 },
    { name: 'sub/b.bin', path: join(dir, `${name}-b`), size: 3 * 1024 * 1024 + 5 },
    { name: 'c.txt', path: join(dir, `${name}-c`), size: 'growing'.length },
    { name: 'empty', path: join(dir, `${name}-a`), size: 0 },
  ]);
  return out;
}

it('seals files and their description, and opens them whole with the key', async () => {
  const out = await sealed('ok');
  expect(readFileSync(out).subarray(0, 16).toString()).toBe('VISITA-BACKUP-1\n');
  expect(readFileSync(out).includes(Buffer.from('first file'))).toBe(false); // encrypted
  const meta = await unseal<{ kind: string }>(out, key, join(dir, 'opened'));
  expect(meta).toEqual({ kind: 'test', n: 1 });
  expect(readFileSync(join(dir, 'opened/a.txt'), 'utf8')).toBe('first file\n');
  expect(readFileSync(join(dir, 'opened/sub/b.bin')).equals(Buffer.alloc(3 * 1024 * 1024 + 5, 0xab))).toBe(true);
  expect(readFileSync(join(dir, 'opened/c.txt'), 'utf8')).toBe('growing');
  expect(readFileSync(join(dir, 'opened/empty'), 'utf8')).toBe('');
});

it('refuses a wrong key and a damaged file, and leaves nothing behind', async () => {
  const out = await sealed('bad');
  await expect(unseal(out, Buffer.alloc(32, 2), join(dir, 'wrong'))).rejects.toThrow(
    /wrong VISITA_BACKUP_KEY, or the file is damaged/,
  );
  const bytes = readFileSync(out);
  bytes[100] = bytes[100]! ^ 1;
  writeFileSync(join(dir, 'flipped.vbk'), bytes);
  await expect(unseal(join(dir, 'flipped.vbk'), key, join(dir, 'flipped'))).rejects.toThrow(/damaged/);
  writeFileSync(join(dir, 'other.vbk'), 'not a backup at all, but long enough to read a header from');
  await expect(unseal(join(dir, 'other.vbk'), key, join(dir, 'other'))).rejects.toThrow(/not a Visita backup/);
  expect(readdirSync(dir).filter((f) => /^(wrong|flipped|other)($|\.)/.test(f) && !f.endsWith('.vbk'))).toEqual([]);
});

it('takes a 32-byte key as base64 or hex, and says what is wrong otherwise', () => {
  expect(backupKey(key.toString('base64'))).toEqual(key);
  expect(backupKey(key.toString('hex'))).toEqual(key);
  expect(() => backupKey(undefined)).toThrow(/VISITA_BACKUP_KEY is not set/);
  expect(() => backupKey(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  expect(() => backupKey('not base64 at all!!')).toThrow(/32 bytes/);
});
