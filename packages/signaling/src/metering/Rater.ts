import type { Logger } from '../logger.ts';
import type { MeteringLog } from './MeteringLog.ts';
import { roundSeconds, type Plan } from './plans.ts';
import { rateConsultation } from './rate.ts';
import type { UsageRecord, UsageStore } from './UsageStore.ts';

export const periodOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/**
 * Turns metering events into usage records. Any number of raters (one per signaling instance)
 * share the stream through a consumer group; each delivery recomputes its consultation's record
 * from the whole history, so redeliveries and concurrent raters write the same result.
 */
export class Rater {
  readonly #log: MeteringLog;
  readonly #usage: UsageStore;
  readonly #planOf: (practitionerId: string) => Promise<Plan>;
  readonly #consumer: string;
  readonly #logger: Logger;
  #running = false;
  #loop: Promise<void> | null = null;

  constructor(
    log: MeteringLog,
    usage: UsageStore,
    planOf: (practitionerId: string) => Promise<Plan>,
    consumer: string,
    logger: Logger,
  ) {
    this.#log = log;
    this.#usage = usage;
    this.#planOf = planOf;
    this.#consumer = consumer;
    this.#logger = logger;
  }

  /** One batch: returns how many deliveries were processed. */
  async pass(blockMs = 1_000): Promise<number> {
    const batch = await this.#log.read(this.#consumer, 100, blockMs);
    const consultations = new Set(batch.map((b) => b.event.consultationId));
    for (const id of consultations) await this.rate(id);
    await this.#log.ack(batch.map((b) => b.id));
    return batch.length;
  }

  async rate(consultationId: string): Promise<UsageRecord | null> {
    const rated = rateConsultation(await this.#log.history(consultationId));
    if (!rated) return null;
    const plan = await this.#planOf(rated.practitionerId);
    const record: UsageRecord = {
      consultationId,
      practitionerId: rated.practitionerId,
      period: periodOf(rated.intervals[0]?.start ?? rated.lastEventAt),
      billableMs: rated.billableMs,
      billedSeconds: roundSeconds(rated.billableMs, plan),
      planId: plan.id,
      intervals: rated.intervals,
      complete: rated.complete,
      endedAt: rated.lastEventAt,
    };
    await this.#usage.put(record);
    return record;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      // The group is made on the first pass that reaches Redis (it may be out of reach at start).
      let grouped = false;
      let failures = 0;
      while (this.#running) {
        await (async () => {
          if (!grouped) await this.#log.ensureGroup();
          grouped = true;
          await this.pass(500);
        })().then(
          () => {
            failures = 0;
          },
          (e: Error) => {
            if (e.message.startsWith('NOGROUP')) grouped = false; // a Redis restored without it
            // Once per outage; the deliveries it could not rate are rated when Redis is back.
            if (this.#running && failures++ === 0) this.#logger.warn({ err: e.message }, 'rater pass failed');
            return new Promise((r) => setTimeout(r, 500));
          },
        );
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop?.catch(() => undefined);
  }
}
