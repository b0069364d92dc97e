import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ProducerInfo } from '@visita/protocol';
import { request, type SignalingSocket } from '../../lib/signaling.ts';
import { decodableVideo } from './codecs.ts';
import { LocalMedia } from './LocalMedia.ts';
import { IceRestarts } from './iceRestart.ts';
import { openTransport } from './transports.ts';
import { renewTurnCredentials } from './turnRenewal.ts';
import { watchDeviceNetwork } from './deviceNetwork.ts';
import { RemoteMedia, type RemoteTrackState } from './RemoteMedia.ts';
import { inboundCounts, outboundCounts, pathOf, receiveCounters, sentVideoCodecOf } from './mediaStats.ts';
import { qualityOf, type NetworkQuality } from './quality.ts';

/** What a media session tells its view. */
export interface MediaSessionEvents {
  /** Remote tracks came or went, the connection changed, the other side paused or resumed. */
  change: () => void;
  /** Once, if ICE restarts could not bring the media back: it must be rebuilt (a full rejoin). */
  lost: () => void;
}

export type { RemoteTrackState };

/** The media's connection as the call view shows it. */
export type MediaConnection = 'connecting' | 'connected' | 'reconnecting';

/** The session was closed while it was starting. */
class SessionClosed extends Error {
  constructor() {
    super('media session closed');
  }
}

/**
 * One participant's media for one consultation: a mediasoup-client Device, a send transport
 * (this side's microphone and camera: LocalMedia) and a receive transport (the other side's:
 * RemoteMedia), their ICE restarts and the device's network. Knows no React.
 */

export class MediaSession {
  readonly #socket: SignalingSocket;
  readonly #consultationId: string;
  readonly #local: MediaStream;
  readonly #device = new Device();
  readonly #listeners: { [K in keyof MediaSessionEvents]: Set<MediaSessionEvents[K]> } = {
    change: new Set(),
    lost: new Set(),
  };
  readonly #off: Array<() => void> = [];
  readonly #remote: RemoteMedia;
  /** The last receive-side counters, for the quality of the next sample. */
  #lastSample: { received: number; lost: number } | null = null;
  readonly #ice: IceRestarts;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  #closed = false;
  #offline = false;
  /** The transports came with TURN servers: their credentials are renewed during the call. */
  #turn = false;
  readonly #sender: LocalMedia;

  constructor(socket: SignalingSocket, consultationId: string, local: MediaStream) {
    this.#socket = socket;
    this.#consultationId = consultationId;
    this.#local = local;
    this.#remote = new RemoteMedia(socket, consultationId, () => this.#emit());
    this.#sender = new LocalMedia(socket, consultationId, this.#device);
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

  /** The other side's microphone and camera as this side receives them, and the stream to play. */
  get remote(): { audio: RemoteTrackState; video: RemoteTrackState } {
    return this.#remote.state;
  }

  get remoteStream(): MediaStream {
    return this.#remote.stream;
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
    const caps = () => this.#device.recvRtpCapabilities;
    const onNew = (p: ProducerInfo) => void this.#remote.receive(p, this.#recv, caps());
    const onPaused = (e: { producerId: string; paused: boolean }) => this.#remote.paused(e.producerId, e.paused);
    const onClosed = ({ consumerId }: { consumerId: string }) => this.#remote.drop(consumerId);
    const onDecoders = (e: { consultationId: string; video: string[] }) => {
      if (e.consultationId !== consultationId) return;
      this.#sender.peerDecoders(e.video);
      void this.#sender.sendDecodable(this.#send);
    };
    // Signaling back after a cut: a transport still down restarts ICE now rather than on its timer;
    // if the server could not recover the connection's missed events, the producers are listed again.
    const onConnect = () => {
      for (const t of [this.#send, this.#recv])
        if (t && t.connectionState !== 'connected' && t.connectionState !== 'new') this.#ice.restart(t, true);
      if (!this.#socket.recovered) void this.#remote.resync(this.#recv, caps()).catch(() => undefined);
    };
    this.#socket.on('media:newProducer', onNew);
    this.#socket.on('media:producerPaused', onPaused);
    this.#socket.on('media:consumerClosed', onClosed);
    this.#socket.on('media:peerDecoders', onDecoders);
    this.#socket.on('connect', onConnect);
    this.#off.push(
      watchDeviceNetwork({
        offline: () => {
          this.#offline = true;
          this.#emit();
        },
        online: () => {
          if (!this.#offline) return;
          this.#offline = false;
          this.#emit();
        },
        changed: () => {
          for (const t of [this.#send, this.#recv]) if (t) this.#ice.restart(t, true);
        },
      }),
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
    this.#sender.peerDecoders(await declared, true);
    for (const track of this.#local.getTracks()) {
      this.#stillOpen();
      await this.#sender.send(this.#send, track);
    }
    // The other side's decoders may have come while the camera was being sent.
    await this.#sender.sendDecodable(this.#send);
    this.#stillOpen();
    const { producers } = await request(this.#socket, 'media:producers', { consultationId });
    for (const p of producers) await this.#remote.receive(p, this.#recv, caps());
  }

  /** Another camera or microphone, on the same producer (no renegotiation). */
  replaceTrack(track: MediaStreamTrack): Promise<void> {
    return this.#sender.replaceTrack(track);
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

  setPaused(kind: 'audio' | 'video', paused: boolean): Promise<void> {
    return this.#sender.setPaused(kind, paused);
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
    this.#remote.close();
    this.#emit();
  }

  async #transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const { transport, turn } = await openTransport(
      {
        device: this.#device,
        socket: this.#socket,
        consultationId: this.#consultationId,
        closed: () => this.#closed,
        closedError: () => new SessionClosed(),
      },
      direction,
    );
    if (this.#closed) transport.close();
    this.#stillOpen();
    if (turn) this.#turn = true;
    this.#off.push(this.#ice.watch(transport));
    return transport;
  }

  #emit(): void {
    for (const l of this.#listeners.change) l();
  }
}
