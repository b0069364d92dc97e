import { DURATION_SAMPLES } from '../domain/queue.ts';
import type { DurationStore } from './DurationStore.ts';

/** In-memory twin of RedisDurationStore. */
export class MemoryDurationStore implements DurationStore {
  readonly #byPractitioner = new Map<string, number[]>();

  async record(practitionerId: string, ms: number): Promise<void> {
    const list = [Math.round(ms), ...(this.#byPractitioner.get(practitionerId) ?? [])];
    this.#byPractitioner.set(practitionerId, list.slice(0, DURATION_SAMPLES));
  }

  async recent(practitionerId: string): Promise<number[]> {
    return [...(this.#byPractitioner.get(practitionerId) ?? [])];
  }
}
