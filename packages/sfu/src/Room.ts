import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import {
  ErrorCode,
  VisitaError,
  type ConsumerOptions,
  type RoomClosedReason,
  type RoomSummary,
  type TransportOptions,
} from '@visita/protocol';
import type { SfuRequest } from '@visita/protocol';
import type { RtcListenConfig } from './rtcListen.ts';
import { webRtcTransportOptions } from './rtcListen.ts';

// Bounds on what one participant can hold on this node: each transport takes a port of the node's
// RTC range, so without them one client could take every port and cut the media of every other
// call. A 1:1 consultation needs a send and a receive transport, a microphone and a camera (maybe a
// screen) per side, and consumes the other side's 2-3 producers; a client rebuilding its media
// after a reconnection has its old peer closed first, so the limits leave little slack.
/** Transports one peer may hold (created or being created). */
export const MAX_TRANSPORTS_PER_PEER = 4;
/** Producers one peer may hold (created or being created). */
export const MAX_PRODUCERS_PER_PEER = 4;
/** Consumers one peer may hold (created or being created). */
export const MAX_CONSUMERS_PER_PEER = 8;
/** Peers of one room: a consultation has two (patient, practitioner). */
export const MAX_PEERS_PER_ROOM = 4;
/** Consumers of one room, all peers together. */
export const MAX_CONSUMERS_PER_ROOM = 16;
/**
 * A video producer's key frame requests are spaced at least this far apart (mediasoup's
 * `keyFrameRequestDelay`: a request inside the window is sent when it ends). Chrome ignores a
 * request that comes within 300 ms of its last key frame, and mediasoup asks again only after a
 * second: a consumer resumed just after the stream's first key frame used to wait ~1 s for its
 * picture (`make bench-join`, 3 calls in 20).
 */
export const KEY_FRAME_REQUEST_DELAY_MS = 400;

type Counted = 'transports' | 'producers' | 'consumers';
const PER_PEER: Record<Counted, number> = {
  transports: MAX_TRANSPORTS_PER_PEER,
  producers: MAX_PRODUCERS_PER_PEER,
  consumers: MAX_CONSUMERS_PER_PEER,
};

interface Peer {
  readonly id: string;
  readonly transports: Map<string, types.WebRtcTransport>;
  readonly producers: Map<string, types.Producer>;
  readonly consumers: Map<string, types.Consumer>;
  /** When each producer's first RTP packet arrived (ms, this node's clock). */
  readonly flowingAt: Map<string, number>;
  /** Creations under way (awaiting the worker): counted against the limits so concurrent calls cannot overshoot. */
  readonly pending: Record<Counted, number>;
}

/** A stream of the room: a producer (from a client) or a consumer (to a client). */
export type MediaStreamRef = { direction: 'in'; stream: types.Producer } | { direction: 'out'; stream: types.Consumer };

export interface RoomEvents {
  closed: [RoomClosedReason];
  consumerClosed: [{ peerId: string; consumerId: string }];
  /** `waitedMs`: from the producer's creation to its first packet (the client's ICE and DTLS). */
  producerFlowing: [{ peerId: string; producerId: string; kind: types.MediaKind; at: number; waitedMs: number }];
  /** Two participants' microphones flow: the call's audio is up, `waitedMs` after the room opened. */
  callAudioUp: [{ waitedMs: number }];
}

/**
 * One consultation on this node: one router and its peers. Every transport, producer and consumer
 * belongs to one peer, and a peer can only touch its own. close() is idempotent and cascades:
 * closing the router closes transports, which close producers and consumers.
 */
/** More peers than a consultation has, with room to spare. */
const MAX_DECLARED_PEERS = 8;

export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly router: types.Router;
  readonly #rtc: RtcListenConfig;
  readonly #peers = new Map<string, Peer>();
  readonly #openedAt = Date.now();
  /** Peers whose microphone has flowed (the call's audio is up once two have). */
  readonly #audioUp = new Set<string>();
  /** Each peer's declared video decoders (its last declaration; a handful of peers at most). */
  readonly #decoders = new Map<string, string[]>();
  #closed = false;

  constructor(id: string, router: types.Router, rtc: RtcListenConfig) {
    super();
    this.id = id;
    this.router = router;
    this.#rtc = rtc;
    // mediasoup emits 'workerclose' before the observer's 'close' when the worker dies.
    router.once('workerclose', () => this.#finish('worker_died'));
    router.observer.once('close', () => this.#finish('closed'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A peer's media session started: the video codecs its browser decodes (senders pick among them). */
  declareDecoders(peerId: string, video: readonly string[]): void {
    if (!this.#decoders.has(peerId) && this.#decoders.size >= MAX_DECLARED_PEERS)
      throw new VisitaError(ErrorCode.LIMIT_EXCEEDED, 'too many peers declared');
    this.#decoders.set(peerId, [...video]);
  }

  decoders(): Record<string, string[]> {
    return Object.fromEntries(this.#decoders);
  }

  /** Transports and producers held by the room's peers. */
  get mediaCounts(): { transports: number; producers: number } {
    let transports = 0;
    let producers = 0;
    for (const p of this.#peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
    }
    return { transports, producers };
  }

  get consumerCount(): number {
    let n = 0;
    for (const p of this.#peers.values()) n += p.consumers.size;
    return n;
  }

  /** Consumers created or being created, for the room's limit. */
  get #consumersHeld(): number {
    let n = 0;
    for (const p of this.#peers.values()) n += p.consumers.size + p.pending.consumers;
    return n;
  }

  close(reason: RoomClosedReason = 'closed'): void {
    if (this.#closed) return;
    this.#finish(reason);
    this.router.close();
  }

  closePeer(peerId: string): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer) return false;
    for (const t of peer.transports.values()) t.close();
    this.#peers.delete(peerId);
    return true;
  }

  async createTransport(peerId: string, direction: 'send' | 'recv'): Promise<TransportOptions> {
    const peer = this.#peerOrNew(peerId);
    const release = this.#reserve(peer, 'transports');
    let transport: types.WebRtcTransport;
    try {
      transport = await this.router.createWebRtcTransport({
        ...webRtcTransportOptions(this.#rtc),
        appData: { peerId, direction },
      });
    } finally {
      release();
    }
    this.#assertStillOwned(peer, transport);
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates as TransportOptions['iceCandidates'],
      dtlsParameters: transport.dtlsParameters as TransportOptions['dtlsParameters'],
    };
  }

  async connectTransport(p: SfuRequest<'transport.connect'>): Promise<void> {
    const { transport } = this.#transport(p.peerId, p.transportId);
    if (transport.dtlsState !== 'new') throw new VisitaError(ErrorCode.INVALID_STATE, 'transport already connected');
    await transport.connect({ dtlsParameters: p.dtlsParameters as types.DtlsParameters });
  }

  /** New ICE credentials for a peer's transport whose network changed (the client restarts ICE with them). */
  async restartIce(peerId: string, transportId: string): Promise<TransportOptions['iceParameters']> {
    const { transport } = this.#transport(peerId, transportId);
    return transport.restartIce();
  }

  async produce(p: SfuRequest<'producer.create'>): Promise<string> {
    const { peer, transport } = this.#transport(p.peerId, p.transportId);
    if (transport.appData['direction'] !== 'send') throw new VisitaError(ErrorCode.BAD_REQUEST, 'not a send transport');
    const release = this.#reserve(peer, 'producers');
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind: p.kind,
        rtpParameters: p.rtpParameters as unknown as types.RtpParameters,
        appData: { peerId: p.peerId },
        ...(p.kind === 'video' ? { keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS } : {}),
      });
    } finally {
      release();
    }
    this.#assertStillOwned(peer, producer);
    // One camera and one microphone per peer: a new one (a reconnected client) replaces the old,
    // whose consumers close and are reported to the other side.
    for (const existing of [...peer.producers.values()]) if (existing.kind === p.kind) existing.close();
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      peer.flowingAt.delete(producer.id);
    });
    this.#watchFirstRtp(peer, producer);
    return producer.id;
  }

  /**
   * The moment media really flows is the producer's first RTP packet, not its creation (the client
   * is still connecting ICE and DTLS then): the worker traces RTP until the first packet, which is
   * dated, kept for the room's summary and announced. The trace is switched off after it.
   */
  #watchFirstRtp(peer: Peer, producer: types.Producer): void {
    const createdAt = Date.now();
    const onTrace = (trace: types.ProducerTraceEventData): void => {
      if (trace.type !== 'rtp' || peer.flowingAt.has(producer.id)) return;
      const at = Date.now();
      peer.flowingAt.set(producer.id, at);
      producer.off('trace', onTrace);
      producer.enableTraceEvent([]).catch(() => undefined);
      const flowing = { peerId: peer.id, producerId: producer.id, kind: producer.kind, at, waitedMs: at - createdAt };
      this.emit('producerFlowing', flowing);
      if (producer.kind === 'audio' && this.#audioUp.size < 2) {
        this.#audioUp.add(peer.id);
        if (this.#audioUp.size === 2) this.emit('callAudioUp', { waitedMs: at - this.#openedAt });
      }
    };
    producer.on('trace', onTrace);
    // Refused only if the producer closed meanwhile.
    producer.enableTraceEvent(['rtp']).catch(() => undefined);
  }

  async setProducerPaused(peerId: string, producerId: string, paused: boolean): Promise<void> {
    const producer = this.#peer(peerId)?.producers.get(producerId);
    if (!producer) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such producer');
    if (paused) await producer.pause();
    else await producer.resume();
  }

  async consume(p: SfuRequest<'consumer.create'>): Promise<ConsumerOptions> {
    const { peer, transport } = this.#transport(p.peerId, p.transportId);
    if (transport.appData['direction'] !== 'recv')
      throw new VisitaError(ErrorCode.BAD_REQUEST, 'not a receive transport');
    const producer = this.#findProducer(p.producerId);
    if (!producer || producer.appData['peerId'] === p.peerId)
      throw new VisitaError(ErrorCode.NOT_FOUND, 'no such producer');
    const rtpCapabilities = p.rtpCapabilities as types.RtpCapabilities;
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw new VisitaError(ErrorCode.MEDIA_ERROR, 'the client cannot decode this producer');
    }
    const release = this.#reserve(peer, 'consumers');
    let consumer: types.Consumer;
    try {
      // Started paused: the client resumes once its consumer is ready, so no keyframe is lost.
      consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
    } finally {
      release();
    }
    this.#assertStillOwned(peer, consumer);
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    consumer.once('producerclose', () => this.emit('consumerClosed', { peerId: p.peerId, consumerId: consumer.id }));
    return {
      id: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as unknown as ConsumerOptions['rtpParameters'],
    };
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.#peer(peerId)?.consumers.get(consumerId);
    if (!consumer) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such consumer');
    await consumer.resume();
    // A fresh keyframe so the picture appears at once.
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  /** Every producer (media in) and consumer (media out) of the room, for the node's packet counts. */
  *streams(): Generator<MediaStreamRef> {
    for (const p of this.#peers.values()) {
      for (const stream of p.producers.values()) yield { direction: 'in', stream };
      for (const stream of p.consumers.values()) yield { direction: 'out', stream };
    }
  }

  summary(): RoomSummary {
    return {
      roomId: this.id,
      peers: [...this.#peers.values()].map((p) => ({
        peerId: p.id,
        transports: p.transports.size,
        producers: [...p.producers.values()].map((pr) => ({
          id: pr.id,
          kind: pr.kind,
          paused: pr.paused,
          flowingAt: p.flowingAt.get(pr.id) ?? null,
        })),
        consumers: p.consumers.size,
      })),
    };
  }

  #finish(reason: RoomClosedReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#peers.clear();
    this.emit('closed', reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw new VisitaError(ErrorCode.NOT_FOUND, 'room closed');
  }

  #peer(peerId: string): Peer | undefined {
    this.#assertOpen();
    return this.#peers.get(peerId);
  }

  /** A peer comes into being with its first transport, within MAX_PEERS_PER_ROOM. */
  #peerOrNew(peerId: string): Peer {
    const existing = this.#peer(peerId);
    if (existing) return existing;
    if (this.#peers.size >= MAX_PEERS_PER_ROOM) {
      throw new VisitaError(ErrorCode.LIMIT_EXCEEDED, `a media room holds at most ${MAX_PEERS_PER_ROOM} participants`);
    }
    const peer: Peer = {
      id: peerId,
      transports: new Map(),
      producers: new Map(),
      consumers: new Map(),
      flowingAt: new Map(),
      pending: { transports: 0, producers: 0, consumers: 0 },
    };
    this.#peers.set(peerId, peer);
    return peer;
  }

  #transport(peerId: string, transportId: string): { peer: Peer; transport: types.WebRtcTransport } {
    const peer = this.#peer(peerId);
    const transport = peer?.transports.get(transportId);
    if (!peer || !transport) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such transport');
    return { peer, transport };
  }

  /**
   * Counts one creation of `what` for `peer` against the limits, or throws LIMIT_EXCEEDED. The
   * caller releases the reservation once the worker has answered (success or not), in the same
   * tick as it records the result, so held + pending never undercounts.
   */
  #reserve(peer: Peer, what: Counted): () => void {
    const limit = PER_PEER[what];
    if (peer[what].size + peer.pending[what] >= limit) {
      throw new VisitaError(ErrorCode.LIMIT_EXCEEDED, `a participant may hold at most ${limit} ${what}`);
    }
    if (what === 'consumers' && this.#consumersHeld >= MAX_CONSUMERS_PER_ROOM) {
      throw new VisitaError(ErrorCode.LIMIT_EXCEEDED, `a media room holds at most ${MAX_CONSUMERS_PER_ROOM} consumers`);
    }
    peer.pending[what] += 1;
    return () => {
      peer.pending[what] -= 1;
    };
  }

  /** After an await: the peer (or the room) may have been closed meanwhile, leaving `media` with no owner. */
  #assertStillOwned(peer: Peer, media: { readonly closed: boolean; close(): void }): void {
    if (this.#peers.get(peer.id) === peer && !media.closed) return;
    media.close();
    throw new VisitaError(ErrorCode.NOT_FOUND, 'peer closed');
  }

  #findProducer(producerId: string): types.Producer | undefined {
    for (const p of this.#peers.values()) {
      const producer = p.producers.get(producerId);
      if (producer) return producer;
    }
    return undefined;
  }
}
