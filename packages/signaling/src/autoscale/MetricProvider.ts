import type { SfuNodeRecord } from '@visita/protocol';
import type { NodeProvider, StartingNode } from './Autoscaler.ts';

/** A node asked for longer ago than this and never seen is no longer counted as coming. */
const GIVE_UP_MS = 10 * 60_000;

/**
 * The orchestrator's path (Kubernetes): the autoscaler only publishes the desired node count
 * (visita_autoscaler_desired_sfu_nodes), KEDA sets the SFU Deployment's replicas from it, and a
 * pod removed on scale-in drains in its preStop hook. Nothing is started or drained from here;
 * nodes asked for are counted as coming until new node ids appear (for the estimates).
 */
export class MetricProvider implements NodeProvider {
  readonly name = 'metric';
  readonly #startupMs: number;
  readonly #known = new Set<string>();
  #asked: number[] = [];
  #seq = 0;

  /** `startupMs`: what a new pod takes to serve (scheduling, image, worker start), for estimates. */
  constructor(startupMs = 60_000) {
    this.#startupMs = startupMs;
  }

  starting(): StartingNode[] {
    return this.#asked.map((since, i) => ({ nodeId: `requested-${this.#seq}-${i}`, since }));
  }

  startupMs(): number {
    return this.#startupMs;
  }

  observe(nodes: readonly SfuNodeRecord[], now: number): void {
    this.#asked = this.#asked.filter((since) => now - since < GIVE_UP_MS);
    for (const n of nodes) {
      if (this.#known.has(n.nodeId)) continue;
      this.#known.add(n.nodeId);
      if (n.state === 'serving') this.#asked.shift(); // a new node: the oldest request is met
    }
    if (this.#known.size > 10_000) this.#known.clear(); // bounded; known again on the next tick
  }

  async scaleOut(count: number): Promise<void> {
    this.#seq++;
    for (let i = 0; i < count; i++) this.#asked.push(Date.now());
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {}
}
