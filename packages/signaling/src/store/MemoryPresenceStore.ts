import type { Role } from '@visita/protocol';
import type { PresenceStore } from './PresenceStore.ts';

/** In-memory twin of RedisPresenceStore, for unit tests and a single instance without Redis. */
export class MemoryPresenceStore implements PresenceStore {
  readonly #ttlMs: number;
  readonly #members = new Map<string, Map<string, number>>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  async touch(consultationId: string, role: Role, member: string, now: number): Promise<void> {
    const k = `${consultationId}:${role}`;
    const m = this.#members.get(k) ?? new Map<string, number>();
    this.#members.set(k, m);
    m.set(member, now + this.#ttlMs);
  }

  async remove(consultationId: string, role: Role, member: string): Promise<void> {
    this.#members.get(`${consultationId}:${role}`)?.delete(member);
  }

  async presentMany(consultationIds: readonly string[], role: Role, now: number): Promise<boolean[]> {
    return Promise.all(consultationIds.map((id) => this.isPresent(id, role, now)));
  }

  async lastSeen(consultationId: string, role: Role): Promise<number | null> {
    const expiries = [...(this.#members.get(`${consultationId}:${role}`)?.values() ?? [])];
    return expiries.length ? Math.max(...expiries) - this.#ttlMs : null;
  }

  async isPresent(consultationId: string, role: Role, now: number): Promise<boolean> {
    for (const expiresAt of this.#members.get(`${consultationId}:${role}`)?.values() ?? [])
      if (expiresAt > now) return true;
    return false;
  }
}
