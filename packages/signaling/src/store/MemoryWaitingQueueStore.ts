import type { QueueEntry, WaitingQueueStore } from './WaitingQueueStore.ts';

/** In-memory twin of RedisWaitingQueueStore. */
export class MemoryWaitingQueueStore implements WaitingQueueStore {
  readonly #queues = new Map<string, Map<string, QueueEntry>>();
  readonly #absent = new Map<string, number>();

  async checkIn(practitionerId: string, entry: QueueEntry): Promise<QueueEntry> {
    const q = this.#queues.get(practitionerId) ?? new Map();
    this.#queues.set(practitionerId, q);
    const existing = q.get(entry.consultationId);
    const stored = { ...entry, checkedInAt: existing?.checkedInAt ?? entry.checkedInAt };
    q.set(entry.consultationId, stored);
    return stored;
  }

  async remove(practitionerId: string, consultationId: string): Promise<boolean> {
    this.#absent.delete(consultationId);
    return this.#queues.get(practitionerId)?.delete(consultationId) ?? false;
  }

  async entry(practitionerId: string, consultationId: string): Promise<QueueEntry | null> {
    return this.#queues.get(practitionerId)?.get(consultationId) ?? null;
  }

  async ids(practitionerId: string, start = 0, stop = -1): Promise<string[]> {
    const all = (await this.list(practitionerId)).map((e) => e.consultationId);
    return all.slice(start, stop < 0 ? all.length + stop + 1 : stop + 1);
  }

  async rank(practitionerId: string, consultationId: string): Promise<number | null> {
    const i = (await this.ids(practitionerId)).indexOf(consultationId);
    return i < 0 ? null : i;
  }

  async practitioners(): Promise<string[]> {
    return [...this.#queues].filter(([, q]) => q.size > 0).map(([p]) => p);
  }

  async markAbsent(consultationId: string, now: number): Promise<number> {
    if (!this.#absent.has(consultationId)) this.#absent.set(consultationId, now);
    return this.#absent.get(consultationId)!;
  }

  async absences(consultationIds: string[]): Promise<Array<number | null>> {
    return consultationIds.map((id) => this.#absent.get(id) ?? null);
  }

  async clearAbsent(consultationId: string): Promise<boolean> {
    return this.#absent.delete(consultationId);
  }

  async list(practitionerId: string, limit?: number): Promise<QueueEntry[]> {
    const all = [...(this.#queues.get(practitionerId)?.values() ?? [])].sort(
      (a, b) => a.checkedInAt - b.checkedInAt || a.consultationId.localeCompare(b.consultationId),
    );
    return limit === undefined ? all : all.slice(0, limit);
  }

  async count(practitionerId: string): Promise<number> {
    return this.#queues.get(practitionerId)?.size ?? 0;
  }
}
