import type express from 'express';
import { ErrorCode, fail, ok, type OpsStatus, type PractitionerClaims } from '@visita/protocol';

/** At most this many practitioners' queues are read for one status (each is two Redis reads). */
const MAX_QUEUES = 2_000;
const TOP_QUEUES = 50;

export interface OpsSources {
  nodes(): Promise<Array<Omit<OpsStatus['nodes'][number], 'ageMs'> & { updatedAt: number }>>;
  callsInProgress(): Promise<number>;
  admissionsWaiting(): Promise<number>;
  /** Practitioners with a waiting room. */
  practitioners(): Promise<string[]>;
  queue(practitionerId: string): Promise<{ waiting: number; oldestCheckIn: number | null }>;
  name(practitionerId: string): Promise<string | null>;
  autoscaler(): Promise<OpsStatus['autoscaler']>;
  now(): number;
}

/** The live picture: nodes, calls, waiting rooms, delayed admissions, the autoscaler. */
export async function opsStatus(s: OpsSources): Promise<OpsStatus> {
  const now = s.now();
  const [nodes, callsInProgress, admissionsWaiting, practitioners, autoscaler] = await Promise.all([
    s.nodes(),
    s.callsInProgress(),
    s.admissionsWaiting(),
    s.practitioners(),
    s.autoscaler(),
  ]);
  const queues = await Promise.all(
    practitioners.slice(0, MAX_QUEUES).map(async (id) => ({ id, ...(await s.queue(id)) })),
  );
  const top = queues
    .filter((q) => q.waiting > 0)
    .sort((a, b) => b.waiting - a.waiting || (a.oldestCheckIn ?? now) - (b.oldestCheckIn ?? now))
    .slice(0, TOP_QUEUES);
  return {
    at: now,
    nodes: nodes
      .map((n) => ({
        nodeId: n.nodeId,
        state: n.state,
        workers: n.workers,
        rooms: n.rooms,
        consumers: n.consumers,
        maxConsumers: n.maxConsumers,
        cpu: n.cpu,
        ...(n.probes === undefined ? {} : { probes: n.probes }),
        ...(n.perWorker === undefined ? {} : { perWorker: n.perWorker }),
        ageMs: Math.max(0, now - n.updatedAt),
      }))
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId)),
    callsInProgress,
    admissionsWaiting,
    waiting: {
      total: queues.reduce((sum, q) => sum + q.waiting, 0),
      practitioners: await Promise.all(
        top.map(async (q) => ({
          practitionerId: q.id,
          name: await s.name(q.id),
          waiting: q.waiting,
          longestWaitMs: q.oldestCheckIn === null ? 0 : Math.max(0, now - q.oldestCheckIn),
        })),
      ),
    },
    autoscaler,
  };
}

/** GET /api/ops/status: ops only (a practitioner gets 403). */
export function opsRoutes(app: express.Express, practitionerOnly: express.RequestHandler, sources: OpsSources): void {
  app.get('/api/ops/status', practitionerOnly, async (_req, res, next) => {
    try {
      const me = res.locals['practitioner'] as PractitionerClaims;
      if (me.role !== 'ops') return void res.status(403).json(fail(ErrorCode.FORBIDDEN, 'ops only'));
      res.set('cache-control', 'no-store').json(ok(await opsStatus(sources)));
    } catch (e) {
      next(e);
    }
  });
}
