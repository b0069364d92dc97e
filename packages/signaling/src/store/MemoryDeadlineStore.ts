import type { DeadlineStore, GraceDeadline } from './DeadlineStore.ts';

/** In-memory twin of RedisDeadlineStore. */
export class MemoryDeadlineStore implements DeadlineStore {
  readonly #due = new Map<string, { deadline: GraceDeadline; dueAt: number }>();

  async schedule(d: GraceDeadline, dueAt: number): Promise<void> {
    this.#due.set(`${d.consultationId}:${d.role}`, { deadline: { ...d }, dueAt });
  }

  async scheduleIfAbsent(d: GraceDeadline, dueAt: number): Promise<boolean> {
    if (this.#due.has(`${d.consultationId}:${d.role}`)) return false;
    await this.schedule(d, dueAt);
    return true;
  }

  async takeDue(now: number, limit: number): Promise<GraceDeadline[]> {
    const due = [...this.#due.entries()]
      .filter(([, v]) => v.dueAt <= now)
      .sort((a, b) => a[1].dueAt - b[1].dueAt)
      .slice(0, limit);
    for (const [k] of due) this.#due.delete(k);
    return due.map(([, v]) => v.deadline);
  }
}
