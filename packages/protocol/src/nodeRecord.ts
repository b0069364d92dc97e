import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignedSfuNodeRecord, type SfuNodeRecord } from './sfu.ts';

// Signing and checking of SFU node records (servers only: this file uses node:crypto, so it has an
// entry of its own, `@visita/protocol/nodeRecord`, and the browser bundle never imports it).

/** Domain separation: the record key is derived from the SFU secret, never the secret itself. */
const RECORD_KEY_LABEL = 'visita-sfu-record';

/** The key that signs node records, derived from the shared SFU secret. */
export function nodeRecordKey(sfuSecret: string): Buffer {
  return createHmac('sha256', sfuSecret).update(RECORD_KEY_LABEL).digest();
}

/** The record with its `sig`, ready to be written to Redis as JSON. */
export function signNodeRecord(record: SfuNodeRecord, key: Buffer): SignedSfuNodeRecord {
  return { ...record, sig: mac(record, key) };
}

/**
 * The record stored as `raw` (a Redis value), if it is well formed and its signature verifies;
 * undefined otherwise (unreadable JSON, wrong shape, missing or wrong `sig`).
 */
export function verifyNodeRecord(raw: string, key: Buffer): SfuNodeRecord | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = SignedSfuNodeRecord.safeParse(json);
  if (!parsed.success) return undefined;
  const { sig, ...record } = parsed.data;
  const expected = Buffer.from(mac(record, key), 'hex');
  const given = Buffer.from(sig, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? record : undefined;
}

function mac(record: SfuNodeRecord, key: Buffer): string {
  return createHmac('sha256', key).update(canonicalJson(record)).digest('hex');
}

/** JSON with object keys sorted at every level, so signer and verifier hash the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
