import type { Redis } from 'ioredis';
import type { Plan } from './plans.ts';

const ASSIGNMENTS = 'visita:plan-of';

/** The configured plans (VISITA_PLANS) and which one each practitioner is on (default: the first). */
export class PlanBook {
  readonly #redis: Redis;
  readonly #plans: ReadonlyMap<string, Plan>;
  readonly #default: Plan;

  constructor(redis: Redis, plans: readonly Plan[]) {
    this.#redis = redis;
    this.#plans = new Map(plans.map((p) => [p.id, p]));
    this.#default = plans[0]!;
  }

  get(planId: string): Plan | undefined {
    return this.#plans.get(planId);
  }

  async of(practitionerId: string): Promise<Plan> {
    const id = await this.#redis.hget(ASSIGNMENTS, practitionerId);
    return (id && this.#plans.get(id)) || this.#default;
  }

  async assign(practitionerId: string, planId: string): Promise<void> {
    if (!this.#plans.has(planId))
      throw new Error(`no plan ${planId}; configured: ${[...this.#plans.keys()].join(', ')}`);
    await this.#redis.hset(ASSIGNMENTS, practitionerId, planId);
  }
}
