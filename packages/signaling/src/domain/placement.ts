import { SFU_STALE_MS, type SfuNodeRecord } from '@visita/protocol';

/** What one 1:1 call adds to its node: each side consumes the other's microphone and camera. */
export const CONSUMERS_PER_CALL = 4;

/**
 * A node's load in consumers: those it has, or what its calls will take once their media is up
 * (a call admitted a moment ago, or whose participants are still connecting, is reserved in full).
 */
export function nodeLoad(n: Pick<SfuNodeRecord, 'consumers' | 'rooms'>): number {
  return Math.max(n.consumers, n.rooms * CONSUMERS_PER_CALL);
}

/** Whether one more call fits on the node (`maxConsumers`, its measured capacity). */
export function hasRoomForCall(n: Pick<SfuNodeRecord, 'consumers' | 'rooms' | 'maxConsumers'>): boolean {
  return nodeLoad(n) + CONSUMERS_PER_CALL <= n.maxConsumers;
}

/**
 * Picks the SFU node for a new consultation: serving, fresh nodes with room for one more call,
 * least loaded (nodeLoad), then CPU, then rooms. Pure: the clock is passed in.
 */
export function chooseNode(nodes: readonly SfuNodeRecord[], now: number): SfuNodeRecord | undefined {
  let best: SfuNodeRecord | undefined;
  for (const n of nodes) {
    if (n.state !== 'serving' || now - n.updatedAt > SFU_STALE_MS) continue;
    if (!hasRoomForCall(n)) continue;
    if (!best || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

/**
 * Picks the node for a network test (a patient's pre-call check): a serving, fresh node, the least
 * loaded, full or not (a test holds one transport for seconds, no consumer). Pure.
 */
export function chooseProbeNode(nodes: readonly SfuNodeRecord[], now: number): SfuNodeRecord | undefined {
  let best: SfuNodeRecord | undefined;
  for (const n of nodes) {
    if (n.state !== 'serving' || now - n.updatedAt > SFU_STALE_MS) continue;
    if (!best || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

function compareLoad(a: SfuNodeRecord, b: SfuNodeRecord): number {
  return nodeLoad(a) - nodeLoad(b) || a.cpu - b.cpu || a.rooms - b.rooms || a.nodeId.localeCompare(b.nodeId);
}
