import { SFU_STALE_MS, type SfuNodeRecord } from '@visita/protocol';

/** What one 1:1 call adds to its node: each side consumes the other's microphone and camera. */
export const CONSUMERS_PER_CALL = 4;

/**
 * Picks the SFU node for a new consultation: serving, fresh nodes with room for one more call
 * (`maxConsumers`), least loaded by consumers, then CPU, then rooms. Pure: the clock is passed in.
 */
export function chooseNode(nodes: readonly SfuNodeRecord[], now: number): SfuNodeRecord | undefined {
  let best: SfuNodeRecord | undefined;
  for (const n of nodes) {
    if (n.state !== 'serving' || now - n.updatedAt > SFU_STALE_MS) continue;
    if (n.consumers + CONSUMERS_PER_CALL > n.maxConsumers) continue;
    if (!best || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

function compareLoad(a: SfuNodeRecord, b: SfuNodeRecord): number {
  return a.consumers - b.consumers || a.cpu - b.cpu || a.rooms - b.rooms || a.nodeId.localeCompare(b.nodeId);
}
