import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ProducerInfo } from '@visita/protocol';
import { request, type SignalingSocket } from './signaling.ts';

type Listener = () => void;

/**
 * One participant's media for one consultation: a mediasoup-client Device, a send transport
 * (camera + microphone) and a receive transport (the other participant). Knows no React.
 */
export class MediaSession {
  readonly remoteStream = new MediaStream();
  readonly #socket: SignalingSocket;
  readonly #consultationId: string;
  readonly #local: MediaStream;
  readonly #device = new Device();
  readonly #producers = new Map<'audio' | 'video', types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  /**
   * Producers consumed or being consumed: claimed before the first await, so the new-producer
   * event and the producer list cannot both consume one producer (they race at start).
   */
  readonly #consumed = new Set<string>();
  readonly #listeners = new Set<Listener>();
  readonly #off: Array<() => void> = [];
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  #closed = false;

  constructor(socket: SignalingSocket, consultationId: string, local: MediaStream) {
    this.#socket = socket;
    this.#consultationId = consultationId;
    this.#local = local;
  }

  /** Called whenever remote tracks come or go. */
  onChange(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  async start(): Promise<void> {
    const consultationId = this.#consultationId;
    const { rtpCapabilities } = await request(this.#socket, 'media:routerCapabilities', { consultationId });
    await this.#device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });

    const onNew = (p: ProducerInfo) => void this.#consume(p.producerId).catch(() => undefined);
    const onClosed = ({ consumerId }: { consumerId: string }) => this.#dropConsumer(consumerId);
    this.#socket.on('media:newProducer', onNew);
    this.#socket.on('media:consumerClosed', onClosed);
    this.#off.push(
      () => this.#socket.off('media:newProducer', onNew),
      () => this.#socket.off('media:consumerClosed', onClosed),
    );

    this.#recv = await this.#transport('recv');
    this.#send = await this.#transport('send');
    for (const track of this.#local.getTracks()) {
      const producer = await this.#send.produce({
        track,
        ...(track.kind === 'video' ? { encodings: [{ maxBitrate: 900_000 }] } : {}),
        stopTracks: false,
      });
      this.#producers.set(track.kind as 'audio' | 'video', producer);
    }
    const { producers } = await request(this.#socket, 'media:producers', { consultationId });
    for (const p of producers) await this.#consume(p.producerId).catch(() => undefined);
  }

  async setPaused(kind: 'audio' | 'video', paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer) return;
    if (paused) producer.pause();
    else producer.resume();
    await request(this.#socket, 'media:setProducerPaused', {
      consultationId: this.#consultationId,
      producerId: producer.id,
      paused,
    });
  }

  /** Inbound RTP statistics of the receive side (used by the e2e tests and the diagnostics). */
  async inboundStats(): Promise<{
    video: { framesDecoded: number; packetsReceived: number };
    audio: { packetsReceived: number };
  }> {
    const out = { video: { framesDecoded: 0, packetsReceived: 0 }, audio: { packetsReceived: 0 } };
    if (!this.#recv) return out;
    const report = await this.#recv.getStats();
    report.forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        out.video.framesDecoded += s.framesDecoded ?? 0;
        out.video.packetsReceived += s.packetsReceived ?? 0;
      } else if (s.kind === 'audio') out.audio.packetsReceived += s.packetsReceived ?? 0;
    });
    return out;
  }

  /** Outbound RTP statistics of the send side: when the microphone's packets really leave. */
  async outboundStats(): Promise<{ audio: { packetsSent: number }; video: { packetsSent: number } }> {
    const out = { audio: { packetsSent: 0 }, video: { packetsSent: 0 } };
    if (!this.#send) return out;
    const report = await this.#send.getStats();
    report.forEach((s: { type: string; kind?: string; packetsSent?: number }) => {
      if (s.type === 'outbound-rtp' && (s.kind === 'audio' || s.kind === 'video'))
        out[s.kind].packetsSent += s.packetsSent ?? 0;
    });
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off) off();
    this.#send?.close();
    this.#recv?.close();
    for (const t of this.remoteStream.getTracks()) this.remoteStream.removeTrack(t);
    this.#emit();
  }

  async #transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const consultationId = this.#consultationId;
    const options = await request(this.#socket, 'media:createTransport', { consultationId, direction });
    const params = options as unknown as types.TransportOptions;
    const transport =
      direction === 'send' ? this.#device.createSendTransport(params) : this.#device.createRecvTransport(params);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.#socket, 'media:connectTransport', {
        consultationId,
        transportId: transport.id,
        dtlsParameters: dtlsParameters as never,
      }).then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
        request(this.#socket, 'media:produce', {
          consultationId,
          transportId: transport.id,
          kind,
          rtpParameters: rtpParameters as never,
        }).then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    return transport;
  }

  async #consume(producerId: string): Promise<void> {
    if (!this.#recv || this.#closed || this.#consumed.has(producerId)) return;
    this.#consumed.add(producerId);
    try {
      await this.#consumeNew(this.#recv, producerId);
    } catch (e) {
      this.#consumed.delete(producerId); // a later announcement may try again
      throw e;
    }
  }

  async #consumeNew(recv: types.Transport, producerId: string): Promise<void> {
    const options = await request(this.#socket, 'media:consume', {
      consultationId: this.#consultationId,
      transportId: recv.id,
      producerId,
      rtpCapabilities: this.#device.recvRtpCapabilities as never,
    });
    const consumer = await recv.consume({
      id: options.id,
      producerId: options.producerId,
      kind: options.kind,
      rtpParameters: options.rtpParameters as unknown as types.RtpParameters,
    });
    this.#consumers.set(consumer.id, consumer);
    this.remoteStream.addTrack(consumer.track);
    this.#emit();
    await request(this.#socket, 'media:resumeConsumer', {
      consultationId: this.#consultationId,
      consumerId: consumer.id,
    });
  }

  #dropConsumer(consumerId: string): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) return;
    this.#consumers.delete(consumerId);
    this.remoteStream.removeTrack(consumer.track);
    consumer.close();
    this.#emit();
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}
