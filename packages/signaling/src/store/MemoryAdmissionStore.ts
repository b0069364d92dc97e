import type { AdmissionStore, PendingAdmission } from './AdmissionStore.ts';

/** In-memory twin of RedisAdmissionStore. */
export class MemoryAdmissionStore implements AdmissionStore {
  readonly #pending = new Map<string, PendingAdmission>();

  async add(a: PendingAdmission): Promise<boolean> {
    if (this.#pending.has(a.consultationId)) return false;
    this.#pending.set(a.consultationId, { ...a });
    return true;
  }

  async get(consultationId: string): Promise<PendingAdmission | null> {
    const a = this.#pending.get(consultationId);
    return a ? { ...a } : null;
  }

  async remove(consultationId: string): Promise<boolean> {
    return this.#pending.delete(consultationId);
  }

  async oldest(limit: number): Promise<PendingAdmission[]> {
    return [...this.#pending.values()]
      .sort((a, b) => a.since - b.since || a.consultationId.localeCompare(b.consultationId))
      .slice(0, Math.max(0, limit))
      .map((a) => ({ ...a }));
  }

  async count(): Promise<number> {
    return this.#pending.size;
  }
}
