import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeteringEvent } from './events.ts';
import { roundSeconds, priceForPeriod, type Plan } from './plans.ts';
import { MEDIA_GRACE_MS, rateConsultation, type Interval } from './rate.ts';

// Oracle, written from the billing rules rather than from rate.ts: every scenario has whole-second
// endpoints, so each second of the timeline is billable or not on its own — billable while
// admitted and not ended and both media up; then a stretch of non-billable seconds between two
// billable ones is billed through when it is shorter than MEDIA_GRACE_MS.
const upAt = (xs: Interval[], t: number) => xs.some((i) => i.start <= t && t < i.end);
function billableByScan(
  s: { admitAt: number; patient: Interval[]; practitioner: Interval[] },
  windowEnd: number,
): number {
  const seconds: boolean[] = [];
  for (let t = s.admitAt; t < windowEnd; t += 1000) seconds.push(upAt(s.patient, t) && upAt(s.practitioner, t));
  let billed = 0;
  let lastBillable = -1;
  for (const [k, on] of seconds.entries()) {
    if (!on) continue;
    const gap = lastBillable < 0 ? 0 : k - lastBillable - 1;
    billed += 1 + (gap > 0 && gap * 1000 < MEDIA_GRACE_MS ? gap : 0);
    lastBillable = k;
  }
  return billed * 1000;
}

/** Disjoint, strictly separated intervals (whole seconds) inside [from, to]. */
const intervalsIn = (from: number, to: number) =>
  fc.uniqueArray(fc.integer({ min: from / 1000, max: to / 1000 }), { minLength: 0, maxLength: 12 }).map((points) => {
    const s = [...points].sort((a, b) => a - b).map((p) => p * 1000);
    const out: Interval[] = [];
    for (let i = 0; i + 1 < s.length; i += 2) out.push({ start: s[i]!, end: s[i + 1]! });
    return out;
  });

interface Scenario {
  admitAt: number;
  endAt: number;
  patient: Interval[];
  practitioner: Interval[];
  heartbeats: number[];
  duplicates: number[];
  seed: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    admitAt: fc.integer({ min: 0, max: 600 }).map((s) => s * 1000),
    length: fc.integer({ min: 1, max: 3_600 }).map((s) => s * 1000),
  })
  .chain(({ admitAt, length }) =>
    fc.record({
      admitAt: fc.constant(admitAt),
      endAt: fc.constant(admitAt + length),
      // Media may come up before admission (device check) and outlive the end: both are clipped.
      patient: intervalsIn(Math.max(0, admitAt - 60_000), admitAt + length + 60_000),
      practitioner: intervalsIn(Math.max(0, admitAt - 60_000), admitAt + length + 60_000),
      heartbeats: fc.array(
        fc.integer({ min: 0, max: length / 1000 }).map((s) => admitAt + s * 1000),
        { maxLength: 20 },
      ),
      duplicates: fc.array(fc.nat(), { maxLength: 10 }),
      seed: fc.integer(),
    }),
  );

function eventsOf(s: Scenario, withEnd = true): MeteringEvent[] {
  const base = { consultationId: 'c1', practitionerId: 'p1' };
  const ev: MeteringEvent[] = [{ ...base, key: 'admitted', type: 'admitted', at: s.admitAt }];
  for (const role of ['patient', 'practitioner'] as const) {
    s[role].forEach((i, n) => {
      ev.push({ ...base, key: `${role}-up-${n}`, type: 'media_up', role, at: i.start });
      ev.push({ ...base, key: `${role}-down-${n}`, type: 'media_down', role, at: i.end });
    });
  }
  for (const [n, at] of s.heartbeats.entries()) ev.push({ ...base, key: `hb-${n}`, type: 'heartbeat', at });
  if (withEnd) ev.push({ ...base, key: 'ended', type: 'ended', at: s.endAt });
  return ev;
}

/** Duplicates (same key resent) and a shuffle: what a stream with retries and several raters delivers. */
function deliver(ev: MeteringEvent[], s: Scenario): MeteringEvent[] {
  const out = [...ev, ...s.duplicates.map((d) => ev[d % ev.length]!)];
  let x = s.seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('rater', () => {
  it('bills exactly the overlap of admitted and both media up, whatever the order and the duplicates', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const expected = billableByScan(s, s.endAt);
        const rated = rateConsultation(deliver(eventsOf(s), s));
        expect(rated?.billableMs).toBe(expected);
        expect(rated?.complete).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('bounds what is billed by the last heartbeat when the end never arrives (every instance crashed)', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 3_600 }), (s, cut) => {
        const lastHeartbeat = Math.min(s.endAt, s.admitAt + cut * 1000);
        // What reached the stream before the crash: everything up to the last heartbeat.
        const known = eventsOf({ ...s, heartbeats: [lastHeartbeat] }, false).filter((e) => e.at <= lastHeartbeat);
        const expected = billableByScan(s, lastHeartbeat);
        const rated = rateConsultation(deliver(known, s));
        expect(rated?.billableMs).toBe(expected);
        expect(rated?.complete).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never bills waiting time, nor time after the end', () => {
    const base = { consultationId: 'c', practitionerId: 'p' };
    const ev: MeteringEvent[] = [
      { ...base, key: 'pu', type: 'media_up', role: 'patient', at: 0 },
      { ...base, key: 'du', type: 'media_up', role: 'practitioner', at: 0 },
      { ...base, key: 'a', type: 'admitted', at: 60_000 },
      { ...base, key: 'e', type: 'ended', at: 120_000 },
      { ...base, key: 'hb', type: 'heartbeat', at: 500_000 },
    ];
    expect(rateConsultation(ev)?.billableMs).toBe(60_000);
    expect(rateConsultation([])).toBeNull();
  });

  it('bills through a short interruption once, and drops a long one', () => {
    const base = { consultationId: 'c', practitionerId: 'p' };
    const call = (gapMs: number): MeteringEvent[] => [
      { ...base, key: 'a', type: 'admitted', at: 0 },
      { ...base, key: 'pu1', type: 'media_up', role: 'patient', at: 0 },
      { ...base, key: 'du', type: 'media_up', role: 'practitioner', at: 0 },
      { ...base, key: 'pd', type: 'media_down', role: 'patient', at: 100_000 },
      { ...base, key: 'pu2', type: 'media_up', role: 'patient', at: 100_000 + gapMs },
      { ...base, key: 'e', type: 'ended', at: 200_000 + gapMs },
    ];
    expect(rateConsultation(call(10_000))?.billableMs).toBe(210_000);
    // At the boundary: a gap just under the grace is billed through, the grace itself is not.
    expect(rateConsultation(call(MEDIA_GRACE_MS - 1))?.billableMs).toBe(200_000 + MEDIA_GRACE_MS - 1);
    expect(rateConsultation(call(MEDIA_GRACE_MS))?.billableMs).toBe(200_000);
    expect(rateConsultation(call(MEDIA_GRACE_MS + 1_000))?.billableMs).toBe(200_000);
  });
});

describe('plans', () => {
  const perSecond: Plan = {
    id: 's',
    currency: 'EUR',
    pricePerMinuteCents: 120,
    rounding: 'per_second',
    includedMinutesPerMonth: 0,
  };
  const perMinute: Plan = { ...perSecond, id: 'm', rounding: 'per_started_minute', includedMinutesPerMonth: 10 };
  it('rounds per second or per started minute', () => {
    expect(roundSeconds(61_999, perSecond)).toBe(61);
    expect(roundSeconds(61_999, perMinute)).toBe(120);
    expect(roundSeconds(60_000, perMinute)).toBe(60);
    expect(roundSeconds(0, perMinute)).toBe(0);
  });
  it('deducts included minutes and prices the rest', () => {
    expect(priceForPeriod(90, perSecond)).toEqual({ chargeableSeconds: 90, amountCents: 180 });
    expect(priceForPeriod(600, perMinute)).toEqual({ chargeableSeconds: 0, amountCents: 0 });
    expect(priceForPeriod(660, perMinute)).toEqual({ chargeableSeconds: 60, amountCents: 120 });
  });
});
