import { describe, expect, it } from 'vitest';
import { canonicalJson, nodeRecordKey, signNodeRecord, verifyNodeRecord } from './nodeRecord.ts';
import type { SfuNodeRecord } from './sfu.ts';

const key = nodeRecordKey('unit-sfu-secret-0123456789');
const record: SfuNodeRecord = {
  nodeId: 'n1',
  controlUrl: 'http://127.0.0.1:4443',
  state: 'serving',
  workers: 2,
  rooms: 1,
  consumers: 3,
  cpu: 0.125,
  updatedAt: 1_700_000_000_000,
  maxConsumers: 500,
};

describe('SFU node records', () => {
  it('round-trips a signed record, whatever the key order of the stored JSON', () => {
    const signed = signNodeRecord(record, key);
    expect(verifyNodeRecord(JSON.stringify(signed), key)).toEqual(record);
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(verifyNodeRecord(JSON.stringify(reordered), key)).toEqual(record);
  });

  it('refuses a changed field, another key, a missing or malformed sig, and garbage', () => {
    const signed = signNodeRecord(record, key);
    expect(verifyNodeRecord(JSON.stringify({ ...signed, controlUrl: 'http://attacker.test:80' }), key)).toBeUndefined();
    expect(verifyNodeRecord(JSON.stringify({ ...signed, consumers: 0 }), key)).toBeUndefined();
    expect(verifyNodeRecord(JSON.stringify(signed), nodeRecordKey('another-secret-0123456789'))).toBeUndefined();
    expect(verifyNodeRecord(JSON.stringify(record), key)).toBeUndefined();
    expect(verifyNodeRecord(JSON.stringify({ ...signed, sig: 'ab' }), key)).toBeUndefined();
    expect(verifyNodeRecord('{not json', key)).toBeUndefined();
    // The key is derived: the raw secret does not sign records.
    expect(
      verifyNodeRecord(JSON.stringify(signNodeRecord(record, Buffer.from('unit-sfu-secret-0123456789'))), key),
    ).toBeUndefined();
  });

  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
