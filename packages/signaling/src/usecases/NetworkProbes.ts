import { randomUUID } from 'node:crypto';
import {
  ConsultationState,
  ErrorCode,
  VisitaError,
  type ClientRequests,
  type DtlsParameters,
  type MediaKind,
  type RtpParameters,
} from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { TransportIce } from '../MediaCalls.ts';
import type { SfuNodes } from '../sfu/SfuNodes.ts';
import type { ConnectionCaps } from '../store/ConnectionCaps.ts';
import type { Identity } from '../tokens.ts';

/** The one peer of a network test's room. */
export const PROBE_PEER = 'probe';
/** How long a node keeps a network test unless VISITA_PROBE_TTL_MS says otherwise (a test takes ~8 s). */
export const DEFAULT_PROBE_TTL_MS = 20_000;

/**
 * How many network tests a practitioner's consultations may hold at once: a quarter of a node's
 * MAX_PROBES_PER_NODE (64), so one practitioner's links (16 links × 4 sockets filled a node) leave
 * the other practices' patients their tests. A real practice has a few patients testing at once.
 */
export const DEFAULT_PROBES_PER_PRACTITIONER = 16;
/** A share's entry outlives its test's TTL by this much (the node closes the test at its TTL). */
const SHARE_SLACK_MS = 5_000;

/** A network test as the socket that opened it holds it (its id is known to that socket only). */
export interface HeldProbe {
  probeId: string;
  nodeId: string;
  transportId: string;
  /** Whose share it counts in. */
  practitionerId: string;
}

/**
 * Each practitioner's share of network tests, shared by every instance: a test counts from its
 * opening until it is closed, or its TTL (and a little more) has passed, whatever happens here.
 */
export interface ProbeShare {
  /** Counts the test in, unless the practitioner's consultations hold their share already: false then. */
  tryAdd(practitionerId: string, probeId: string, ttlMs: number): Promise<boolean>;
  remove(practitionerId: string, probeId: string): Promise<void>;
}

/**
 * The share kept in counted sets with expiry (store/ConnectionCaps.ts: one sorted set per
 * practitioner, `visita:conns:probes:<id>`, member = test, score = when it stops counting).
 */
export function probeShare(
  caps: Pick<ConnectionCaps, 'tryAdd' | 'remove'>,
  perPractitioner = DEFAULT_PROBES_PER_PRACTITIONER,
  now: () => number = Date.now,
): ProbeShare {
  const key = (practitionerId: string) => `probes:${practitionerId}`;
  return {
    tryAdd: (practitionerId, probeId, ttlMs) =>
      caps.tryAdd(key(practitionerId), probeId, perPractitioner, now(), ttlMs + SHARE_SLACK_MS),
    remove: (practitionerId, probeId) => caps.remove(key(practitionerId), probeId),
  };
}

/**
 * Network tests before a call (the patient's pre-call check): a send transport on a media node,
 * the same TURN servers and ICE policy as a call, so the browser measures the path its call will
 * take (round trip, loss, upload). The node closes the test's room after the TTL whatever happens
 * here; nothing of the consultation changes, nothing is metered.
 */
export class NetworkProbes {
  readonly #sfu: SfuNodes;
  readonly #authorize: (identity: Identity, consultationId: string) => Promise<Consultation>;
  readonly #ice: (identity: Identity) => TransportIce;
  readonly #ttlMs: number;
  readonly #share: ProbeShare | undefined;

  constructor(
    sfu: SfuNodes,
    authorize: (identity: Identity, consultationId: string) => Promise<Consultation>,
    ice: (identity: Identity) => TransportIce = () => ({}),
    ttlMs = DEFAULT_PROBE_TTL_MS,
    share?: ProbeShare,
  ) {
    this.#sfu = sfu;
    this.#authorize = authorize;
    this.#ice = ice;
    this.#ttlMs = ttlMs;
    this.#share = share;
  }

  /** Opens a test for a participant of a consultation that is not over. */
  async open(
    identity: Identity,
    p: ClientRequests['probe:open'][0],
  ): Promise<{ held: HeldProbe; opened: ClientRequests['probe:open'][1] }> {
    const c = await this.#authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation is over');
    const probeId = `probe-${randomUUID()}`;
    const share = this.#share;
    if (share && !(await share.tryAdd(c.practitionerId, probeId, this.#ttlMs)))
      throw new VisitaError(
        ErrorCode.LIMIT_EXCEEDED,
        'this practice has as many network tests running as it may; try again in a few seconds',
      );
    try {
      return await this.#openOnNode(identity, c.practitionerId, probeId);
    } catch (e) {
      await share?.remove(c.practitionerId, probeId).catch(() => undefined);
      throw e;
    }
  }

  async #openOnNode(
    identity: Identity,
    practitionerId: string,
    probeId: string,
  ): Promise<{ held: HeldProbe; opened: ClientRequests['probe:open'][1] }> {
    const nodeId = await this.#sfu.probeNode();
    const client = await this.#sfu.client(nodeId);
    const { rtpCapabilities } = await client.call('probe.open', { roomId: probeId, ttlMs: this.#ttlMs });
    try {
      const transport = await client.call('transport.create', {
        roomId: probeId,
        peerId: PROBE_PEER,
        direction: 'send',
      });
      return {
        held: { probeId, nodeId, transportId: transport.id, practitionerId },
        opened: { probeId, rtpCapabilities, transport: { ...transport, ...this.#ice(identity) }, ttlMs: this.#ttlMs },
      };
    } catch (e) {
      await client.call('room.close', { roomId: probeId }).catch(() => undefined);
      throw e;
    }
  }

  async connect(held: HeldProbe, dtlsParameters: DtlsParameters): Promise<{ connected: true }> {
    const client = await this.#sfu.client(held.nodeId);
    return client.call('transport.connect', {
      roomId: held.probeId,
      peerId: PROBE_PEER,
      transportId: held.transportId,
      dtlsParameters,
    });
  }

  async produce(held: HeldProbe, kind: MediaKind, rtpParameters: RtpParameters): Promise<{ producerId: string }> {
    const client = await this.#sfu.client(held.nodeId);
    return client.call('producer.create', {
      roomId: held.probeId,
      peerId: PROBE_PEER,
      transportId: held.transportId,
      kind,
      rtpParameters,
    });
  }

  /** Closes the test on its node; its place in the practitioner's share is given back either way. */
  async close(held: HeldProbe): Promise<{ closed: boolean }> {
    try {
      const client = await this.#sfu.client(held.nodeId);
      return await client.call('room.close', { roomId: held.probeId });
    } finally {
      await this.#share?.remove(held.practitionerId, held.probeId).catch(() => undefined);
    }
  }
}
