import { describe, expect, it } from 'vitest';
import { SFU_STALE_MS, type SfuNodeRecord } from '@visita/protocol';
import { CONSUMERS_PER_CALL, chooseNode } from './placement.ts';

const now = 1_000_000;
const node = (nodeId: string, over: Partial<SfuNodeRecord> = {}): SfuNodeRecord => ({
  nodeId,
  controlUrl: `http://127.0.0.1/${nodeId}`,
  state: 'serving',
  workers: 2,
  rooms: 0,
  consumers: 0,
  cpu: 0,
  updatedAt: now,
  maxConsumers: 500,
  ...over,
});

describe('chooseNode', () => {
  it('leaves a node that one more call would overfill, at the exact boundary', () => {
    const full = node('a', { consumers: 500 - CONSUMERS_PER_CALL + 1 });
    const fits = node('b', { consumers: 500 - CONSUMERS_PER_CALL, cpu: 0.9 });
    expect(chooseNode([full], now)).toBeUndefined();
    expect(chooseNode([full, fits], now)?.nodeId).toBe('b');
  });
  it('reserves a whole call for each room whose media is not up yet (admitted a moment ago)', () => {
    // 3 rooms, 2 of them without consumers yet: 12 consumers reserved, not 4.
    const busy = node('a', { rooms: 3, consumers: 4, maxConsumers: 16 });
    expect(chooseNode([busy], now)).toMatchObject({ nodeId: 'a' });
    expect(chooseNode([{ ...busy, rooms: 4 }], now)).toBeUndefined();
    expect(chooseNode([busy, node('b', { rooms: 1, maxConsumers: 16 })], now)?.nodeId).toBe('b');
  });
  it('returns nothing when there is no node', () => {
    expect(chooseNode([], now)).toBeUndefined();
  });
  it('picks the node with the fewest consumers, then the least CPU, then the fewest rooms', () => {
    expect(chooseNode([node('a', { consumers: 4 }), node('b', { consumers: 2 })], now)?.nodeId).toBe('b');
    expect(chooseNode([node('a', { cpu: 0.9 }), node('b', { cpu: 0.2 })], now)?.nodeId).toBe('b');
    expect(chooseNode([node('a', { rooms: 3 }), node('b', { rooms: 1 })], now)?.nodeId).toBe('b');
  });
  it('never picks a draining or stale node', () => {
    expect(chooseNode([node('a', { state: 'draining' }), node('b', { consumers: 100 })], now)?.nodeId).toBe('b');
    expect(
      chooseNode([node('a', { updatedAt: now - SFU_STALE_MS - 1 }), node('b', { consumers: 100 })], now)?.nodeId,
    ).toBe('b');
    expect(chooseNode([node('a', { state: 'draining' }), node('b', { updatedAt: 0 })], now)).toBeUndefined();
  });
  it('is deterministic on ties', () => {
    expect(chooseNode([node('b'), node('a')], now)?.nodeId).toBe('a');
  });
});
