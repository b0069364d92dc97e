import { SFU_STALE_MS, type SfuNodeRecord } from '@visita/protocol';

/**
 * Picks the SFU node for a new consultation: serving and fresh nodes only, least loaded by
 * consumers, then CPU, then rooms. Pure: the clock is passed in.
 */
export function chooseNode(nodes: readonly SfuNodeRecord[], now: number): SfuNodeRecord | undefined {
  let best: SfuNodeRecord | undefined;
  for (const n of nodes) {
    if (n.state !== 'serving' || now - n.updatedAt > SFU_STALE_MS) continue;
    if (!best || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

function compareLoad(a: SfuNodeRecord, b: SfuNodeRecord): number {
  return a.consumers - b.consumers || a.cpu - b.cpu || a.rooms - b.rooms || a.nodeId.localeCompare(b.nodeId);
}
