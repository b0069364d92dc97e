// Practitioners' display names for the consultation views (every update reads one): looked up in
// the account store, kept a minute per instance, bounded.

export class PractitionerNames {
  readonly #lookup: (id: string) => Promise<string | null>;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { name: string | null; at: number }>();

  constructor(
    lookup: (id: string) => Promise<string | null>,
    opts: { ttlMs?: number; max?: number; now?: () => number } = {},
  ) {
    this.#lookup = lookup;
    this.#ttlMs = opts.ttlMs ?? 60_000;
    this.#max = opts.max ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The name, or null (no such account, or the store failing: a view never fails for a name). */
  async get(id: string): Promise<string | null> {
    const now = this.#now();
    const hit = this.#cache.get(id);
    if (hit && now - hit.at < this.#ttlMs) return hit.name;
    const name = await this.#lookup(id).catch(() => hit?.name ?? null);
    if (this.#cache.size >= this.#max) this.#cache.clear();
    this.#cache.set(id, { name, at: now });
    return name;
  }
}
