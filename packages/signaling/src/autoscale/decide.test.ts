import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  callsSoon,
  decide,
  prewarmFloor,
  requiredNodes,
  type ClusterView,
  type Demand,
  waitingDemand,
  type ScalingPolicy,
  type WaitingRoomView,
} from './decide.ts';

// The autoscaler's decision against random policies, demands and clusters (fast-check), and a
// simulated day of surges for flapping.
const NOW = Date.UTC(2026, 11, 7, 7, 30); // a Monday, 08:30 in Paris (UTC+1 in December)
const MINUTE = 60_000;

const policyArb: fc.Arbitrary<ScalingPolicy> = fc
  .record({
    minNodes: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 1, max: 10 }),
    consumersPerNode: fc.integer({ min: 20, max: 1000 }),
    waitingPerPractitioner: fc.integer({ min: 1, max: 4 }),
    headroom: fc.double({ min: 0, max: 1, noNaN: true }),
    leadMinutes: fc.double({ min: 0, max: 5, noNaN: true }),
    scaleInCooldownMs: fc.integer({ min: 0, max: 30 * MINUTE }),
    prewarm: fc.array(
      fc.record({
        days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 }),
        fromMinute: fc.integer({ min: 0, max: 1439 }),
        length: fc.integer({ min: 1, max: 600 }),
        minNodes: fc.integer({ min: 0, max: 12 }),
      }),
      { maxLength: 2 },
    ),
    utcOffsetMinutes: fc.integer({ min: -720, max: 840 }),
  })
  .map((r) => ({
    minNodes: r.minNodes,
    maxNodes: r.minNodes + r.extra,
    consumersPerNode: r.consumersPerNode,
    consumersPerCall: 4,
    waitingPerPractitioner: r.waitingPerPractitioner,
    headroom: r.headroom,
    leadMinutes: r.leadMinutes,
    scaleInCooldownMs: r.scaleInCooldownMs,
    prewarm: r.prewarm.map((w) => ({
      days: w.days,
      fromMinute: w.fromMinute,
      toMinute: w.fromMinute + w.length,
      minNodes: w.minNodes,
    })),
    utcOffsetMinutes: r.utcOffsetMinutes,
  }));

const demandArb: fc.Arbitrary<Demand> = fc.record({
  now: fc.integer({ min: NOW, max: NOW + 7 * 24 * 60 * MINUTE }),
  // Quiet hours too: small demands make the scale-in cases.
  activeCalls: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2000 })),
  waiting: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 })),
  waitingGrowthPerMin: fc.double({ min: -100, max: 100, noNaN: true }),
  admissionsWaiting: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 })),
});

const clusterArb = (now: number): fc.Arbitrary<ClusterView> =>
  fc.record({
    nodes: fc.uniqueArray(
      fc.record({
        id: fc.uuid(),
        draining: fc.boolean(),
        calls: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })),
        starting: fc.boolean(),
        hasRoom: fc.boolean(),
      }),
      {
        maxLength: 14,
        selector: (n) => n.id,
      },
    ),
    lastScaleOutAt: fc.option(fc.integer({ min: now - 60 * MINUTE, max: now }), { nil: null }),
    lastScaleInAt: fc.option(fc.integer({ min: now - 60 * MINUTE, max: now }), { nil: null }),
  });

const scenario = fc.tuple(policyArb, demandArb).chain(([p, d]) => clusterArb(d.now).map((c) => ({ p, d, c })));

const servingAfter = (c: ClusterView, decision: ReturnType<typeof decide>): number => {
  const serving = c.nodes.filter((n) => !n.draining).length;
  if (decision.action === 'scaleOut') return serving + decision.add;
  if (decision.action === 'scaleIn') return serving - decision.drain.length;
  return serving;
};

describe('decide', () => {
  it('never leaves the cluster below demand plus headroom when the maximum allows it', () => {
    fc.assert(
      fc.property(scenario, ({ p, d, c }) => {
        const needed = Math.ceil(
          (callsSoon(d, p.leadMinutes) * p.consumersPerCall * (1 + p.headroom)) / p.consumersPerNode,
        );
        expect(servingAfter(c, decide(p, d, c))).toBeGreaterThanOrEqual(Math.min(p.maxNodes, needed));
      }),
    );
  });

  it('never scales out past the maximum, nor below the minimum or a pre-warm window', () => {
    fc.assert(
      fc.property(scenario, ({ p, d, c }) => {
        const decision = decide(p, d, c);
        const serving = c.nodes.filter((n) => !n.draining).length;
        if (decision.action === 'scaleOut') expect(servingAfter(c, decision)).toBeLessThanOrEqual(p.maxNodes);
        if (decision.action === 'scaleIn')
          expect(servingAfter(c, decision)).toBeGreaterThanOrEqual(
            Math.min(p.maxNodes, Math.max(p.minNodes, prewarmFloor(p, d.now))),
          );
        expect(servingAfter(c, decision)).toBeLessThanOrEqual(Math.max(serving, p.maxNodes));
      }),
    );
  });

  it('drains only serving nodes without calls, a step at a time, and never inside the cooldown', () => {
    let scaleIns = 0;
    fc.assert(
      fc.property(scenario, ({ p, d, c }) => {
        const decision = decide(p, d, c);
        if (decision.action !== 'scaleIn') return;
        scaleIns++;
        // One step at a time: at most half the surplus (at least one node).
        expect(decision.drain.length).toBeGreaterThan(0);
        expect(decision.drain.length).toBeLessThanOrEqual(
          Math.max(1, Math.floor((decision.serving - decision.required) / 2)),
        );
        for (const id of decision.drain)
          expect(c.nodes.find((n) => n.id === id)).toMatchObject({ draining: false, calls: 0, starting: false });
        for (const at of [c.lastScaleOutAt, c.lastScaleInAt])
          if (at !== null) expect(d.now - at).toBeGreaterThanOrEqual(p.scaleInCooldownMs);
      }),
      { numRuns: 500 },
    );
    // The property was exercised: scale-ins came up among the generated cases.
    expect(scaleIns).toBeGreaterThan(25);
  });

  it('adds a node when admissions wait and no node, serving or starting, has room (max allowing)', () => {
    let starved = 0;
    fc.assert(
      fc.property(scenario, ({ p, d, c }) => {
        const serving = c.nodes.filter((n) => !n.draining);
        if (!d.admissionsWaiting || serving.some((n) => n.starting || n.hasRoom) || serving.length >= p.maxNodes)
          return;
        starved++;
        expect(decide(p, d, c)).toMatchObject({ action: 'scaleOut' });
      }),
      { numRuns: 500 },
    );
    expect(starved).toBeGreaterThan(10);
  });

  it('needs no fewer nodes for more demand', () => {
    fc.assert(
      fc.property(policyArb, demandArb, fc.integer({ min: 0, max: 500 }), (p, d, more) => {
        expect(requiredNodes(p, { ...d, waiting: d.waiting + more })).toBeGreaterThanOrEqual(requiredNodes(p, d));
        expect(requiredNodes(p, { ...d, activeCalls: d.activeCalls + more })).toBeGreaterThanOrEqual(
          requiredNodes(p, d),
        );
      }),
    );
  });

  it('does not flap through a simulated day of surges: no scale-in within the cooldown of a scale-out', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 20, maxLength: 120 }),
        (p, load) => {
          let nodes: ClusterView['nodes'] = [];
          let lastScaleOutAt: number | null = null;
          let lastScaleInAt: number | null = null;
          let previous = 0;
          for (const [i, calls] of load.entries()) {
            const now = NOW + i * 30_000;
            const d = { now, activeCalls: calls, waiting: 0, waitingGrowthPerMin: (calls - previous) * 2 };
            previous = calls;
            // Calls spread evenly over the serving nodes (placement by load).
            const serving = nodes.filter((n) => !n.draining);
            nodes = nodes.map((n) => ({
              ...n,
              calls: n.draining ? 0 : Math.ceil(calls / Math.max(1, serving.length)),
            }));
            const decision = decide(p, d, { nodes, lastScaleOutAt, lastScaleInAt });
            if (decision.action === 'scaleOut') {
              nodes = [
                ...nodes.filter((n) => !n.draining),
                ...Array.from({ length: decision.add }, (_, k) => ({ id: `n${i}-${k}`, draining: false, calls: 0 })),
              ];
              lastScaleOutAt = now;
            } else if (decision.action === 'scaleIn') {
              expect(lastScaleOutAt === null || now - lastScaleOutAt >= p.scaleInCooldownMs).toBe(true);
              nodes = nodes.map((n) => (decision.drain.includes(n.id) ? { ...n, draining: true } : n));
              lastScaleInAt = now;
            }
          }
        },
      ),
    );
  });
});

describe('waiting demand: patients count only for a practitioner online, a few per practitioner', () => {
  // Waiting rooms as the autoscaler reads them from Redis: queue lengths up to an attacker's 500.
  const roomArb: fc.Arbitrary<WaitingRoomView> = fc.record({
    waiting: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 500 })),
    practitionerOnline: fc.boolean(),
  });
  const roomsArb = fc.array(roomArb, { maxLength: 30 });
  const needed = (p: ScalingPolicy, d: Demand, rooms: readonly WaitingRoomView[]) =>
    requiredNodes(p, { ...d, waiting: waitingDemand(rooms, p.waitingPerPractitioner) });

  it('any number of patients waiting for practitioners who are offline never raises the nodes needed', () => {
    fc.assert(
      fc.property(policyArb, demandArb, roomsArb, fc.array(fc.integer({ min: 0, max: 5000 })), (p, d, rooms, away) => {
        const offline = away.map((waiting) => ({ waiting, practitionerOnline: false }));
        expect(needed(p, d, [...rooms, ...offline])).toBe(needed(p, d, rooms));
      }),
    );
  });

  it('one practitioner’s queue, however long, adds at most what that practitioner can admit', () => {
    fc.assert(
      fc.property(policyArb, demandArb, roomsArb, fc.integer({ min: 0, max: 100_000 }), (p, d, rooms, queue) => {
        const base = waitingDemand(rooms, p.waitingPerPractitioner);
        const withQueue = waitingDemand(
          [...rooms, { waiting: queue, practitionerOnline: true }],
          p.waitingPerPractitioner,
        );
        expect(withQueue - base).toBe(Math.min(queue, p.waitingPerPractitioner));
        // In nodes: no more than those calls would need, whatever the queue.
        expect(needed(p, d, [...rooms, { waiting: queue, practitionerOnline: true }])).toBeLessThanOrEqual(
          requiredNodes(p, { ...d, waiting: base + p.waitingPerPractitioner }),
        );
      }),
    );
  });

  it('still counts every patient of practitioners with short queues, and more practitioners need no fewer nodes', () => {
    fc.assert(
      fc.property(policyArb, demandArb, roomsArb, roomArb, (p, d, rooms, more) => {
        const short = rooms.map((r) => ({ ...r, waiting: Math.min(r.waiting, p.waitingPerPractitioner) }));
        expect(waitingDemand(short, p.waitingPerPractitioner)).toBe(
          short.filter((r) => r.practitionerOnline).reduce((n, r) => n + r.waiting, 0),
        );
        expect(needed(p, d, [...rooms, more])).toBeGreaterThanOrEqual(needed(p, d, rooms));
      }),
    );
  });

  it('the attack of issue 20: 205 patients of one practitioner never admitted leave the cluster at its floor', () => {
    const p: ScalingPolicy = {
      minNodes: 1,
      maxNodes: 8,
      consumersPerNode: 40,
      consumersPerCall: 4,
      waitingPerPractitioner: 2,
      headroom: 0.25,
      leadMinutes: 1,
      scaleInCooldownMs: 10 * MINUTE,
      prewarm: [],
      utcOffsetMinutes: 0,
    };
    const quiet = { now: NOW, activeCalls: 0, waitingGrowthPerMin: 0 };
    // Before: every waiting patient was a call to come → the maximum.
    expect(requiredNodes(p, { ...quiet, waiting: 205 })).toBe(8);
    // Practitioner offline: nothing; online and not admitting: two calls' worth.
    expect(needed(p, { ...quiet, waiting: 0 }, [{ waiting: 205, practitionerOnline: false }])).toBe(1);
    expect(needed(p, { ...quiet, waiting: 0 }, [{ waiting: 205, practitionerOnline: true }])).toBe(1);
  });
});

describe('pre-warm windows', () => {
  const policy: ScalingPolicy = {
    minNodes: 1,
    maxNodes: 8,
    consumersPerNode: 500,
    consumersPerCall: 4,
    waitingPerPractitioner: 2,
    headroom: 0.25,
    leadMinutes: 1,
    scaleInCooldownMs: 10 * MINUTE,
    // Flu season: weekday mornings 08:00-12:00 in Paris keep 3 nodes ready.
    prewarm: [{ days: [1, 2, 3, 4, 5], fromMinute: 8 * 60, toMinute: 12 * 60, minNodes: 3 }],
    utcOffsetMinutes: 60,
  };
  const quiet = { activeCalls: 0, waiting: 0, waitingGrowthPerMin: 0 };

  it('keeps the window’s nodes on a weekday morning in the policy’s time zone, not outside it', () => {
    expect(requiredNodes(policy, { now: NOW, ...quiet })).toBe(3); // Monday 08:30 Paris
    expect(requiredNodes(policy, { now: NOW - 45 * MINUTE, ...quiet })).toBe(1); // 07:45
    expect(requiredNodes(policy, { now: NOW + 4 * 60 * MINUTE, ...quiet })).toBe(1); // 12:30
    expect(requiredNodes(policy, { now: NOW - 2 * 24 * 60 * MINUTE, ...quiet })).toBe(1); // Saturday
  });

  it('sizes a surge: 250 calls and 120 waiting, growing by 40 a minute, need 5 nodes of 500 consumers', () => {
    // (250 + 120 + 40 × 1 min) calls × 4 consumers × 1.25 = 2,050 consumers → 5 nodes (4 without the growth).
    const surge = { now: NOW, activeCalls: 250, waiting: 120, waitingGrowthPerMin: 40 };
    expect(requiredNodes(policy, surge)).toBe(5);
    expect(requiredNodes(policy, { ...surge, waitingGrowthPerMin: 0 })).toBe(4);
    const cluster = {
      nodes: [
        { id: 'a', draining: false, calls: 125 },
        { id: 'b', draining: false, calls: 125 },
        { id: 'c', draining: true, calls: 4 },
      ],
      lastScaleOutAt: null,
      lastScaleInAt: null,
    };
    // The draining node does not count: 2 serving, 3 to add.
    expect(decide(policy, surge, cluster)).toMatchObject({ action: 'scaleOut', add: 3 });
  });
});
