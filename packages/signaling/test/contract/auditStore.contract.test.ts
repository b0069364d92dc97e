import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditStore } from '../../src/store/AuditStore.ts';
import { MemoryAuditStore } from '../../src/store/MemoryAuditStore.ts';
import { RedisAuditStore } from '../../src/store/RedisAuditStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

let n = 0;
const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  action: 'checked_in',
  actorRole: 'patient',
  actorId: 'pt-1',
  consultationId: `c${n++}`,
  practitionerId: 'pr-a',
  at: Date.now(),
  instanceId: 'sig-1',
  ...over,
});

describe.each<[string, () => AuditStore]>([
  ['memory', () => new MemoryAuditStore()],
  ['redis', () => new RedisAuditStore(redis())],
])('AuditStore contract (%s)', (name, make) => {
  const pr = (s: string) => `${s}-${name}-${Date.now()}`;

  it('stores an append given again with the same key once (a retry), and one without a key each time', async () => {
    const store = make();
    const p = pr('pr-key');
    const e = event({ practitionerId: p });
    const key = `${p}-k1`;
    const first = await store.append(e, key);
    expect(first).toBeTruthy();
    expect(await store.append(e, key)).toBeNull();
    await store.append(e);
    await store.append(e);
    expect(await store.list({ practitionerId: p })).toHaveLength(3);
  });

  it('appends in order and reads back exactly what was written, with distinct ids', async () => {
    const store = make();
    const p = pr('pr');
    const events = [
      event({ practitionerId: p }),
      event({ practitionerId: p, action: 'admitted', actorRole: 'practitioner', actorId: p }),
      event({ practitionerId: p, action: 'ended' }),
    ];
    const ids: string[] = [];
    for (const e of events) ids.push((await store.append(e))!);
    expect(new Set(ids).size).toBe(3);
    const read = await store.list({ practitionerId: p });
    expect(read.map(({ id: _id, ...rest }) => rest)).toEqual(events);
    expect(read.map((r) => r.id)).toEqual(ids);
  });

  it('gives a practitioner only their own records, and ops everything', async () => {
    const store = make();
    const a = pr('a');
    const b = pr('b');
    await store.append(event({ practitionerId: a }));
    await store.append(event({ practitionerId: b }));
    await store.append(event({ practitionerId: a }));
    expect((await store.list({ practitionerId: a })).map((r) => r.practitionerId)).toEqual([a, a]);
    expect((await store.list({ practitionerId: b })).map((r) => r.practitionerId)).toEqual([b]);
    const all = (await store.list({})).map((r) => r.practitionerId);
    expect(all.filter((p) => p === a || p === b)).toEqual([a, b, a]);
  });

  it('filters by time and bounds the result', async () => {
    const store = make();
    const p = pr('t');
    const t = Date.now();
    await store.append(event({ practitionerId: p, at: t - 5_000 }));
    await store.append(event({ practitionerId: p, at: t }));
    expect(await store.list({ practitionerId: p, from: t - 1_000 })).toHaveLength(1);
    expect(await store.list({ practitionerId: p, to: t - 1_000 })).toHaveLength(1);
    expect(await store.list({ practitionerId: p, limit: 1 })).toHaveLength(1);
  });

  it('keeps concurrent appends consistent', async () => {
    const store = make();
    const p = pr('c');
    await Promise.all(Array.from({ length: 50 }, () => store.append(event({ practitionerId: p }))));
    expect(await store.list({ practitionerId: p })).toHaveLength(50);
  });
});
