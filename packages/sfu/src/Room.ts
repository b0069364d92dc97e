import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { ErrorCode, VisitaError, type ConsumerOptions, type RoomClosedReason, type RoomSummary, type TransportOptions } from '@visita/protocol';
import type { SfuRequest } from '@visita/protocol';
import type { RtcListenConfig } from './rtcListen.ts';
import { webRtcTransportOptions } from './rtcListen.ts';

interface Peer {
  readonly id: string;
  readonly transports: Map<string, types.WebRtcTransport>;
  readonly producers: Map<string, types.Producer>;
  readonly consumers: Map<string, types.Consumer>;
}

export interface RoomEvents {
  closed: [RoomClosedReason];
  consumerClosed: [{ peerId: string; consumerId: string }];
}

/**
 * One consultation on this node: one router and its peers. Every transport, producer and consumer
 * belongs to one peer, and a peer can only touch its own. close() is idempotent and cascades:
 * closing the router closes transports, which close producers and consumers.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly router: types.Router;
  readonly #rtc: RtcListenConfig;
  readonly #peers = new Map<string, Peer>();
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

  get consumerCount(): number {
    let n = 0;
    for (const p of this.#peers.values()) n += p.consumers.size;
    return n;
  }

  close(): void {
    if (this.#closed) return;
    this.#finish('closed');
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
    this.#assertOpen();
    const peer = this.#peer(peerId);
    const transport = await this.router.createWebRtcTransport({
      ...webRtcTransportOptions(this.#rtc),
      appData: { peerId, direction },
    });
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
    const transport = this.#transport(p.peerId, p.transportId);
    if (transport.dtlsState !== 'new') throw new VisitaError(ErrorCode.INVALID_STATE, 'transport already connected');
    await transport.connect({ dtlsParameters: p.dtlsParameters as types.DtlsParameters });
  }

  async produce(p: SfuRequest<'producer.create'>): Promise<string> {
    const peer = this.#peer(p.peerId);
    const transport = this.#transport(p.peerId, p.transportId);
    if (transport.appData['direction'] !== 'send') throw new VisitaError(ErrorCode.BAD_REQUEST, 'not a send transport');
    const producer = await transport.produce({
      kind: p.kind,
      rtpParameters: p.rtpParameters as unknown as types.RtpParameters,
      appData: { peerId: p.peerId },
    });
    // One camera and one microphone per peer: a new one (a reconnected client) replaces the old,
    // whose consumers close and are reported to the other side.
    for (const existing of [...peer.producers.values()]) if (existing.kind === p.kind) existing.close();
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => peer.producers.delete(producer.id));
    return producer.id;
  }

  async setProducerPaused(peerId: string, producerId: string, paused: boolean): Promise<void> {
    const producer = this.#peer(peerId).producers.get(producerId);
    if (!producer) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such producer');
    if (paused) await producer.pause();
    else await producer.resume();
  }

  async consume(p: SfuRequest<'consumer.create'>): Promise<ConsumerOptions> {
    const peer = this.#peer(p.peerId);
    const transport = this.#transport(p.peerId, p.transportId);
    if (transport.appData['direction'] !== 'recv') throw new VisitaError(ErrorCode.BAD_REQUEST, 'not a receive transport');
    const producer = this.#findProducer(p.producerId);
    if (!producer || producer.appData['peerId'] === p.peerId) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such producer');
    const rtpCapabilities = p.rtpCapabilities as types.RtpCapabilities;
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw new VisitaError(ErrorCode.MEDIA_ERROR, 'the client cannot decode this producer');
    }
    // Started paused: the client resumes once its consumer is ready, so no keyframe is lost.
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
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
    const consumer = this.#peer(peerId).consumers.get(consumerId);
    if (!consumer) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such consumer');
    await consumer.resume();
    // A fresh keyframe so the picture appears at once.
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  summary(): RoomSummary {
    return {
      roomId: this.id,
      peers: [...this.#peers.values()].map((p) => ({
        peerId: p.id,
        transports: p.transports.size,
        producers: [...p.producers.values()].map((pr) => ({ id: pr.id, kind: pr.kind, paused: pr.paused })),
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

  #peer(peerId: string): Peer {
    this.#assertOpen();
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, transports: new Map(), producers: new Map(), consumers: new Map() };
      this.#peers.set(peerId, peer);
    }
    return peer;
  }

  #transport(peerId: string, transportId: string): types.WebRtcTransport {
    const t = this.#peer(peerId).transports.get(transportId);
    if (!t) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such transport');
    return t;
  }

  #findProducer(producerId: string): types.Producer | undefined {
    for (const p of this.#peers.values()) {
      const producer = p.producers.get(producerId);
      if (producer) return producer;
    }
    return undefined;
  }
}
