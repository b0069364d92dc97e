import type { QueueEntry, WaitingQueueStore } from './WaitingQueueStore.ts';

/** In-memory twin of RedisWaitingQueueStore. */
export class MemoryWaitingQueueStore implements WaitingQueueStore {
  readonly #queues = new Map<string, Map<string, QueueEntry>>();

  async checkIn(practitionerId: string, entry: QueueEntry): Promise<QueueEntry> {
    let q = this.#queues.get(practitionerId);
    if (!q) this.#queues.set(practitionerId, (q = new Map()));
    const existing = q.get(entry.consultationId);
    const stored = { ...entry, checkedInAt: existing?.checkedInAt ?? entry.checkedInAt };
    q.set(entry.consultationId, stored);
    return stored;
  }

  async remove(practitionerId: string, consultationId: string): Promise<boolean> {
    return this.#queues.get(practitionerId)?.delete(consultationId) ?? false;
  }

  async list(practitionerId: string): Promise<QueueEntry[]> {
    return [...(this.#queues.get(practitionerId)?.values() ?? [])].sort(
      (a, b) => a.checkedInAt - b.checkedInAt || a.consultationId.localeCompare(b.consultationId),
    );
  }
}
