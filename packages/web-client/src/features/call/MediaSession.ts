import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ProducerInfo } from '@visita/protocol';
import { request, type SignalingSocket } from '../../lib/signaling.ts';
import { platformOf } from '../precall/permissionHelp.ts';
import { decodableVideo, peerDecodes, preferredVideoCodec } from './codecs.ts';
import { IceRestarts } from './iceRestart.ts';
import { renewTurnCredentials } from './turnRenewal.ts';
import { inboundCounts, outboundCounts, pathOf, receiveCounters, sentVideoCodecOf } from './mediaStats.ts';
import { qualityOf, type NetworkQuality } from './quality.ts';

/** What a media session tells its view. */
export interface MediaSessionEvents {
  /** Remote tracks came or went, the connection changed, the other side paused or resumed. */
  change: () => void;
  /** Once, if ICE restarts could not bring the media back: it must be rebuilt (a full rejoin). */
  lost: () => void;
}

/** The other side's microphone or camera: not sent at all, sent, or paused by them. */
export type RemoteTrackState = 'none' | 'live' | 'paused';

/** The media's connection as the call view shows it. */
export type MediaConnection = 'connecting' | 'connected' | 'reconnecting';

/**
 * One participant's media for one consultation: a mediasoup-client Device, a send transport
 * (camera + microphone) and a receive transport (the other participant). Knows no React.
 */
/** The session was closed while it was starting. */
class SessionClosed extends Error {
  constructor() {
    super('media session closed');
  }
}

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
  readonly #listeners: { [K in keyof MediaSessionEvents]: Set<MediaSessionEvents[K]> } = {
    change: new Set(),
    lost: new Set(),
  };
  readonly #off: Array<() => void> = [];
  /** The other side's producers: their kind and whether they paused them. */
  readonly #remoteProducers = new Map<string, { kind: 'audio' | 'video'; paused: boolean }>();
  /** The last receive-side counters, for the quality of the next sample. */
  #lastSample: { received: number; lost: number } | null = null;
  readonly #ice: IceRestarts;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  #closed = false;
  #offline = false;
  /** The transports came with TURN servers: their credentials are renewed during the call. */
  #turn = false;
  /** The video codecs the other side decodes (declared when its media session starts); null: not known yet. */
  #peerDecoders: string[] | null = null;
  /** Codec changes of the camera, one after the other. */
  #videoChange: Promise<void> = Promise.resolve();

  constructor(socket: SignalingSocket, consultationId: string, local: MediaStream) {
    this.#socket = socket;
    this.#consultationId = consultationId;
    this.#local = local;
    this.#ice = new IceRestarts({
      socket,
      consultationId,
      closed: () => this.#closed,
      changed: () => this.#emit(),
      lost: () => {
        for (const l of this.#listeners.lost) l();
      },
    });
  }

  on<K extends keyof MediaSessionEvents>(event: K, l: MediaSessionEvents[K]): () => void {
    const set = this.#listeners[event] as Set<MediaSessionEvents[K]>;
    set.add(l);
    return () => set.delete(l);
  }

  /** The other side's microphone and camera as this side receives them. */
  get remote(): { audio: RemoteTrackState; video: RemoteTrackState } {
    const out: { audio: RemoteTrackState; video: RemoteTrackState } = { audio: 'none', video: 'none' };
    for (const consumer of this.#consumers.values()) {
      const p = this.#remoteProducers.get(consumer.producerId);
      out[consumer.kind as 'audio' | 'video'] = p?.paused ? 'paused' : 'live';
    }
    return out;
  }

  /** ICE restarts asked for so far (the network-change test and diagnostics read it). */
  get iceRestarts(): number {
    return this.#ice.count;
  }

  get connection(): MediaConnection {
    // The device lost its network during the call ('offline'): said at once, before ICE notices.
    // (Not navigator.onLine alone: a machine with only a loopback interface is "offline" throughout.)
    if (this.#offline) return 'reconnecting';
    const transports = [this.#send, this.#recv].filter((t) => t !== undefined);
    if (transports.some((t) => this.#ice.restarting(t.id) || ['disconnected', 'failed'].includes(t.connectionState)))
      return 'reconnecting';
    return transports.length === 2 && transports.every((t) => t.connectionState === 'connected')
      ? 'connected'
      : 'connecting';
  }

  /**
   * Loads the device, creates both transports, produces the local tracks and consumes the other
   * side's. A session closed meanwhile (its view unmounted, a newer session started) stops at the
   * next step: it must never produce after a newer session did — the node keeps one microphone and
   * one camera per participant, the newest, so a late one would replace the live one with a dead one.
   */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (e) {
      if (!(e instanceof SessionClosed)) throw e;
    }
  }

  /** Throws SessionClosed once the session is closed (the start stops there). */
  #stillOpen(): void {
    if (this.#closed) throw new SessionClosed();
  }

  async #start(): Promise<void> {
    const consultationId = this.#consultationId;
    const { rtpCapabilities } = await request(this.#socket, 'media:routerCapabilities', { consultationId });
    this.#stillOpen();
    await this.#device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
    this.#stillOpen(); // (listeners added after close() would never be removed)
    // What this browser decodes, told while the transports are made; the other side's, if known.
    const video = decodableVideo(this.#device.recvRtpCapabilities);
    const declared = request(this.#socket, 'media:decoders', { consultationId, video }).then(
      ({ peer }) => peer,
      () => null,
    );
    const onNew = (p: ProducerInfo) => {
      this.#remember(p);
      void this.#consume(p.producerId).catch(this.#cannotReceive(p));
    };
    const onPaused = ({ producerId, paused }: { producerId: string; paused: boolean }) => {
      const known = this.#remoteProducers.get(producerId);
      if (!known) return;
      known.paused = paused;
      this.#emit();
    };
    const onClosed = ({ consumerId }: { consumerId: string }) => this.#dropConsumer(consumerId);
    const onDecoders = (e: { consultationId: string; video: string[] }) => {
      if (e.consultationId !== consultationId) return;
      this.#peerDecoders = e.video;
      void this.#sendDecodableVideo();
    };
    // Signaling back after a cut: a transport still down restarts ICE now rather than on its timer;
    // if the server could not recover the connection's missed events, the producers are listed again.
    const onConnect = () => {
      for (const t of [this.#send, this.#recv])
        if (t && t.connectionState !== 'connected' && t.connectionState !== 'new') this.#ice.restart(t, true);
      if (!this.#socket.recovered) void this.#resync().catch(() => undefined);
    };
    this.#socket.on('media:newProducer', onNew);
    this.#socket.on('media:producerPaused', onPaused);
    this.#socket.on('media:consumerClosed', onClosed);
    this.#socket.on('media:peerDecoders', onDecoders);
    this.#socket.on('connect', onConnect);
    // The device changed networks (Wi-Fi to 4G): the old path may look connected for seconds more,
    // so ICE restarts at once on both transports, gathering candidates on the new network.
    // One restart for the burst of events a change fires ('online', then the connection's 'change').
    let changed: ReturnType<typeof setTimeout> | undefined;
    const onOnline = () => {
      if (navigator.onLine && this.#offline) {
        this.#offline = false;
        this.#emit();
      }
      clearTimeout(changed);
      changed = setTimeout(() => {
        if (!navigator.onLine) return; // a change to no network at all: nothing to restart on yet
        for (const t of [this.#send, this.#recv]) if (t) this.#ice.restart(t, true);
      }, 50);
    };
    const onOffline = () => {
      this.#offline = true;
      this.#emit();
    };
    const connection = (navigator as { connection?: EventTarget }).connection;
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    connection?.addEventListener('change', onOnline);
    this.#off.push(
      () => window.removeEventListener('online', onOnline),
      () => window.removeEventListener('offline', onOffline),
      () => connection?.removeEventListener('change', onOnline),
      () => clearTimeout(changed),
    );
    this.#off.push(
      () => this.#socket.off('media:newProducer', onNew),
      () => this.#socket.off('media:producerPaused', onPaused),
      () => this.#socket.off('media:consumerClosed', onClosed),
      () => this.#socket.off('media:peerDecoders', onDecoders),
      () => this.#socket.off('connect', onConnect),
    );

    this.#recv = await this.#transport('recv');
    this.#send = await this.#transport('send');
    this.#stillOpen();
    if (this.#turn) this.#off.push(renewTurnCredentials(this.#socket, consultationId, () => [this.#send, this.#recv]));
    this.#peerDecoders ??= await declared;
    for (const track of this.#local.getTracks()) {
      this.#stillOpen();
      this.#producers.set(track.kind as 'audio' | 'video', await this.#produce(this.#send, track));
    }
    // The other side's decoders may have come while the camera was being sent.
    await this.#sendDecodableVideo();
    this.#stillOpen();
    const { producers } = await request(this.#socket, 'media:producers', { consultationId });
    for (const p of producers) {
      this.#remember(p);
      await this.#consume(p.producerId).catch(this.#cannotReceive(p));
    }
  }

  /**
   * A producer of the other side that cannot be received is said in the console, never dropped
   * silently; a later announcement (the sender changing codec, a resync) tries again.
   */
  #cannotReceive(p: ProducerInfo): (e: Error & { code?: string }) => void {
    return (e) => console.warn(`[visita] cannot receive the other side's ${p.kind}: ${e.code ?? ''} ${e.message}`);
  }

  /** Sends a track: the camera with a codec the other side decodes (see codecs.ts). */
  #produce(send: types.Transport, track: MediaStreamTrack): Promise<types.Producer> {
    const codec =
      track.kind === 'video'
        ? preferredVideoCodec(
            this.#device.rtpCapabilities.codecs,
            platformOf(navigator.userAgent, navigator.maxTouchPoints),
            this.#peerDecoders,
          )
        : undefined;
    return send.produce({
      track,
      ...(track.kind === 'video' ? { encodings: [{ maxBitrate: 900_000 }] } : {}),
      ...(codec ? { codec } : {}),
      stopTracks: false,
    });
  }

  /**
   * The camera is sent with a codec the other side cannot decode (it said so when its session
   * started): sent again with one it does. The node replaces the old producer with the new one and
   * tells the other side (its consumer closes, a new one comes); a paused camera stays paused.
   */
  #sendDecodableVideo(): Promise<void> {
    this.#videoChange = this.#videoChange
      .then(() => this.#changeVideoCodec())
      .catch((e: Error) => console.warn(`[visita] the camera could not change codec: ${e.message}`));
    return this.#videoChange;
  }

  async #changeVideoCodec(): Promise<void> {
    const old = this.#producers.get('video');
    const mime = old?.rtpParameters.codecs[0]?.mimeType;
    if (!old || !old.track || !this.#send || this.#closed || !mime || peerDecodes(this.#peerDecoders, mime)) return;
    const next = await this.#produce(this.#send, old.track);
    this.#producers.set('video', next);
    old.close();
    if (old.paused) await this.setPaused('video', true);
  }

  #remember(p: ProducerInfo): void {
    this.#remoteProducers.set(p.producerId, { kind: p.kind, paused: p.paused });
  }

  /**
   * Sends another track of the same kind (the other camera, another microphone) on the same
   * producer: no renegotiation, the other side sees the change at once.
   */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    const producer = this.#producers.get(track.kind as 'audio' | 'video');
    if (producer) await producer.replaceTrack({ track });
  }

  /** The codec the camera is sent with (`video/VP8`, `video/H264`), null before it is sent. */
  async sentVideoCodec(): Promise<string | null> {
    return sentVideoCodecOf(await this.#statsOf(this.#send));
  }

  /** How each transport reaches the node now (`mediaStats.pathOf`). */
  async paths(): Promise<Record<'send' | 'recv', { type: string; protocol: string } | null>> {
    return { send: pathOf(await this.#statsOf(this.#send)), recv: pathOf(await this.#statsOf(this.#recv)) };
  }

  /**
   * The network's quality since the last call (loss of the received packets, the round trip of the
   * receive transport's ICE pair); null before anything was received.
   */
  async networkQuality(): Promise<NetworkQuality | null> {
    if (!this.#recv || this.#closed) return null;
    const { received, lost, rttMs } = receiveCounters(await this.#recv.getStats());
    const last = this.#lastSample;
    this.#lastSample = { received, lost };
    // The first call only takes the counters: the call's first seconds (losses while it starts)
    // say nothing about the network now.
    if (!last) return null;
    const dReceived = received - last.received;
    const dLost = Math.max(0, lost - last.lost);
    // Nothing arrived: the network, unless the other side sends nothing (both paused, chat only).
    if (dReceived + dLost === 0) {
      const { audio, video } = this.remote;
      return received === 0 || (audio !== 'live' && video !== 'live') ? null : 'poor';
    }
    return qualityOf(dLost / (dReceived + dLost), rttMs);
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
  async inboundStats(): Promise<ReturnType<typeof inboundCounts>> {
    return inboundCounts(await this.#statsOf(this.#recv));
  }

  /** Outbound RTP statistics of the send side: when the microphone's packets really leave. */
  async outboundStats(): Promise<ReturnType<typeof outboundCounts>> {
    return outboundCounts(await this.#statsOf(this.#send));
  }

  async #statsOf(t: types.Transport | undefined): Promise<RTCStatsReport | undefined> {
    return t && !t.closed ? t.getStats() : undefined;
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
    this.#stillOpen();
    // TURN servers (short-lived credentials) and the policy come with the transport when configured.
    if (options.iceServers?.length) this.#turn = true;
    const params = {
      ...(options as unknown as types.TransportOptions),
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    };
    const transport =
      direction === 'send' ? this.#device.createSendTransport(params) : this.#device.createRecvTransport(params);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.#socket, 'media:connectTransport', {
        consultationId,
        transportId: transport.id,
        dtlsParameters: dtlsParameters as never,
      }).then(() => callback(), errback);
    });
    this.#off.push(this.#ice.watch(transport));
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
        if (this.#closed) return errback(new SessionClosed());
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

  /** The other side's producers as the node has them now: new ones consumed, vanished ones dropped. */
  async #resync(): Promise<void> {
    const { producers } = await request(this.#socket, 'media:producers', { consultationId: this.#consultationId });
    const live = new Set(producers.map((p) => p.producerId));
    for (const [id, consumer] of this.#consumers) if (!live.has(consumer.producerId)) this.#dropConsumer(id);
    for (const p of producers) {
      this.#remember(p);
      await this.#consume(p.producerId).catch(this.#cannotReceive(p));
    }
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
    for (const l of this.#listeners.change) l();
  }
}
