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
import type { Identity } from '../tokens.ts';

/** The one peer of a network test's room. */
export const PROBE_PEER = 'probe';
/** How long a node keeps a network test unless VISITA_PROBE_TTL_MS says otherwise (a test takes ~8 s). */
export const DEFAULT_PROBE_TTL_MS = 20_000;

/** A network test as the socket that opened it holds it (its id is known to that socket only). */
export interface HeldProbe {
  probeId: string;
  nodeId: string;
  transportId: string;
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

  constructor(
    sfu: SfuNodes,
    authorize: (identity: Identity, consultationId: string) => Promise<Consultation>,
    ice: (identity: Identity) => TransportIce = () => ({}),
    ttlMs = DEFAULT_PROBE_TTL_MS,
  ) {
    this.#sfu = sfu;
    this.#authorize = authorize;
    this.#ice = ice;
    this.#ttlMs = ttlMs;
  }

  /** Opens a test for a participant of a consultation that is not over. */
  async open(
    identity: Identity,
    p: ClientRequests['probe:open'][0],
  ): Promise<{ held: HeldProbe; opened: ClientRequests['probe:open'][1] }> {
    const c = await this.#authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation is over');
    const nodeId = await this.#sfu.probeNode();
    const client = await this.#sfu.client(nodeId);
    const probeId = `probe-${randomUUID()}`;
    const { rtpCapabilities } = await client.call('probe.open', { roomId: probeId, ttlMs: this.#ttlMs });
    try {
      const transport = await client.call('transport.create', {
        roomId: probeId,
        peerId: PROBE_PEER,
        direction: 'send',
      });
      return {
        held: { probeId, nodeId, transportId: transport.id },
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

  async close(held: HeldProbe): Promise<{ closed: boolean }> {
    const client = await this.#sfu.client(held.nodeId);
    return client.call('room.close', { roomId: held.probeId });
  }
}
