import {
  ConsultationState,
  ErrorCode,
  Role,
  VisitaError,
  type ClientRequests,
  type TransportOptions,
  type VideoDecoders,
} from '@visita/protocol';
import { otherRole, roleOf, type Notifier } from './notifier.ts';
import type { Consultation } from './domain/consultation.ts';
import type { SfuNodes } from './sfu/SfuNodes.ts';
import type { Identity } from './tokens.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];

/** What a browser is told with its transports about reaching the node: TURN servers, the policy. */
export type TransportIce = Pick<TransportOptions, 'iceServers' | 'iceTransportPolicy'>;
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

/**
 * The media calls of a consultation in a call, forwarded to the SFU node hosting it. The SFU peer
 * id is the caller's role, from the verified token; every call checks the caller belongs to the
 * consultation and that it is in a call.
 */
export class MediaCalls {
  readonly #sfu: SfuNodes;
  readonly #notify: Notifier;
  readonly #authorize: (identity: Identity, consultationId: string) => Promise<Consultation>;
  readonly #onMicrophone: (identity: Identity, c: Consultation, producerId: string) => Promise<void>;
  readonly #ice: (identity: Identity) => TransportIce;

  constructor(
    sfu: SfuNodes,
    notify: Notifier,
    authorize: (identity: Identity, consultationId: string) => Promise<Consultation>,
    onMicrophone: (identity: Identity, c: Consultation, producerId: string) => Promise<void>,
    /** TURN servers (fresh credentials at each call) and the ICE policy; none: direct only. */
    ice: (identity: Identity) => TransportIce = () => ({}),
  ) {
    this.#sfu = sfu;
    this.#notify = notify;
    this.#authorize = authorize;
    this.#onMicrophone = onMicrophone;
    this.#ice = ice;
  }

  async routerCapabilities(identity: Identity, p: Req<'media:routerCapabilities'>): Res<'media:routerCapabilities'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const r = await client.call('room.open', { roomId: c.id });
    return { rtpCapabilities: r.rtpCapabilities };
  }

  /**
   * The caller's media session loaded its device: the video codecs its browser decodes, kept with
   * the room and told to the other side (whose camera may need another codec); answered with the
   * other side's own, if its session declared them.
   */
  async decoders(identity: Identity, p: Req<'media:decoders'>): Res<'media:decoders'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const role = roleOf(identity);
    const other = otherRole(role);
    const r = await client.call('room.open', { roomId: c.id, peerId: role, decoders: p.video });
    this.#notify.toRole(c.id, other, 'media:peerDecoders', { consultationId: c.id, video: p.video });
    // (A node of an older version answers no decoders: nothing known of the other side then.)
    const declared: Partial<Record<string, VideoDecoders>> = r.decoders ?? {};
    return { peer: declared[other] ?? null };
  }

  async createTransport(identity: Identity, p: Req<'media:createTransport'>): Res<'media:createTransport'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const transport = await client.call('transport.create', {
      roomId: c.id,
      peerId: roleOf(identity),
      direction: p.direction,
    });
    return { ...transport, ...this.#ice(identity) };
  }

  async connectTransport(identity: Identity, p: Req<'media:connectTransport'>): Res<'media:connectTransport'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('transport.connect', {
      roomId: c.id,
      peerId: roleOf(identity),
      transportId: p.transportId,
      dtlsParameters: p.dtlsParameters,
    });
  }

  async restartIce(identity: Identity, p: Req<'media:restartIce'>): Res<'media:restartIce'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const r = await client.call('transport.restartIce', {
      roomId: c.id,
      peerId: roleOf(identity),
      transportId: p.transportId,
    });
    const { iceServers } = this.#ice(identity);
    return { ...r, ...(iceServers ? { iceServers } : {}) };
  }

  /**
   * Fresh TURN credentials for a page in a call (renewed every TURN_RENEW_MS): issued only while its
   * consultation is in a call and to its participants (a revoked link, an ended call: refused).
   */
  async iceServers(identity: Identity, p: Req<'media:iceServers'>): Res<'media:iceServers'> {
    const c = await this.#authorize(identity, p.consultationId);
    if (c.state !== ConsultationState.IN_CALL)
      throw new VisitaError(ErrorCode.INVALID_STATE, `consultation is ${c.state}, not in a call`);
    return { iceServers: this.#ice(identity).iceServers ?? [] };
  }

  async produce(identity: Identity, p: Req<'media:produce'>): Res<'media:produce'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const role = roleOf(identity);
    const r = await client.call('producer.create', {
      roomId: c.id,
      peerId: role,
      transportId: p.transportId,
      kind: p.kind,
      rtpParameters: p.rtpParameters,
    });
    this.#notify.toRole(c.id, otherRole(role), 'media:newProducer', {
      producerId: r.producerId,
      kind: p.kind,
      role,
      paused: false,
    });
    if (p.kind === 'audio') await this.#onMicrophone(identity, c, r.producerId);
    return r;
  }

  async producers(identity: Identity, p: Req<'media:producers'>): Res<'media:producers'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const summary = await client.call('room.get', { roomId: c.id });
    const me = roleOf(identity);
    return {
      producers: summary.peers
        .filter((peer) => peer.peerId !== me && (peer.peerId === Role.PATIENT || peer.peerId === Role.PRACTITIONER))
        .flatMap((peer) =>
          peer.producers.map((pr) => ({
            producerId: pr.id,
            kind: pr.kind,
            role: peer.peerId as Role,
            paused: pr.paused,
          })),
        ),
    };
  }

  async consume(identity: Identity, p: Req<'media:consume'>): Res<'media:consume'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('consumer.create', {
      roomId: c.id,
      peerId: roleOf(identity),
      transportId: p.transportId,
      producerId: p.producerId,
      rtpCapabilities: p.rtpCapabilities,
    });
  }

  async resumeConsumer(identity: Identity, p: Req<'media:resumeConsumer'>): Res<'media:resumeConsumer'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('consumer.resume', { roomId: c.id, peerId: roleOf(identity), consumerId: p.consumerId });
  }

  async setProducerPaused(identity: Identity, p: Req<'media:setProducerPaused'>): Res<'media:setProducerPaused'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const role = roleOf(identity);
    const r = await client.call('producer.setPaused', {
      roomId: c.id,
      peerId: role,
      producerId: p.producerId,
      paused: p.paused,
    });
    this.#notify.toRole(c.id, otherRole(role), 'media:producerPaused', { producerId: p.producerId, paused: p.paused });
    return r;
  }

  async #inCall(identity: Identity, consultationId: string) {
    const c = await this.#authorize(identity, consultationId);
    if (c.state !== ConsultationState.IN_CALL || !c.nodeId) {
      throw new VisitaError(ErrorCode.INVALID_STATE, `consultation is ${c.state}, not in a call`);
    }
    return { c, client: await this.#sfu.client(c.nodeId) };
  }
}
