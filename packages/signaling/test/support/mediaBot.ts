import wrtc from '@roamhq/wrtc';
import { Device } from 'mediasoup-client';
import type { Transport } from 'mediasoup-client/types';
import type {
  Ack,
  DtlsParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  TransportOptions,
} from '@visita/protocol';
import type { TestClient } from './stack.ts';

// A real WebRTC stack in Node (libwebrtc through @roamhq/wrtc) under mediasoup-client, as the
// browser runs it: ICE, DTLS and SRTP to the SFU node, and Opus packets 50 times a second. The
// integration tests use it wherever the SFU must see media (billing starts at the first RTP packet).
Object.assign(globalThis, {
  RTCPeerConnection: wrtc.RTCPeerConnection,
  RTCSessionDescription: wrtc.RTCSessionDescription,
  RTCIceCandidate: wrtc.RTCIceCandidate,
  RTCRtpSender: wrtc.RTCRtpSender,
  RTCRtpReceiver: wrtc.RTCRtpReceiver,
  RTCRtpTransceiver: wrtc.RTCRtpTransceiver,
  MediaStream: wrtc.MediaStream,
  MediaStreamTrack: wrtc.MediaStreamTrack,
});

const SAMPLE_RATE = 48_000;
const FRAME_MS = 10;

/** Resolves once the connection reports its first RTP packet sent (the sender's own stats are not implemented in wrtc) (ICE and DTLS done): the media is up. */
async function firstPacketSent(transport: Transport, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const report of (await transport.getStats()).values())
      if (report.type === 'outbound-rtp' && report.packetsSent > 0) return Date.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no RTP sent within ${timeoutMs} ms`);
}

/** Where a send transport comes from and how it is connected: a call's media or a network test. */
interface SendPath {
  rtpCapabilities: RtpCapabilities;
  transport: TransportOptions;
  connect(dtlsParameters: DtlsParameters): Promise<Ack<unknown>>;
  produce(kind: MediaKind, rtpParameters: RtpParameters): Promise<Ack<{ producerId: string }>>;
}

/** One participant's microphone, sent for real: a 400 Hz tone, 10 ms a frame (silence would let Opus go quiet). */
export class MediaBot {
  readonly producerId: string;
  /** When its first packet was seen sent (this process's clock; late by at most one 10 ms poll). */
  readonly firstSentAt: number;
  readonly #transport: Transport;
  readonly #timer: NodeJS.Timeout;
  readonly #track: MediaStreamTrack;

  private constructor(
    producerId: string,
    firstSentAt: number,
    transport: Transport,
    timer: NodeJS.Timeout,
    track: MediaStreamTrack,
  ) {
    this.producerId = producerId;
    this.firstSentAt = firstSentAt;
    this.#transport = transport;
    this.#timer = timer;
    this.#track = track;
  }

  /**
   * Loads the room's capabilities, connects a send transport and produces a microphone through
   * `client`; resolves once its first packet has left (the node sees it about a millisecond later).
   * `silentForMs`: the microphone gives no sound for that long after the producer exists (no packet
   * leaves: a device slow to start).
   */
  static async sendAudio(client: TestClient, consultationId: string, silentForMs = 0): Promise<MediaBot> {
    const caps = await client.request('media:routerCapabilities', { consultationId });
    if (!caps.ok) throw new Error(`routerCapabilities: ${caps.message}`);
    const t = await client.request('media:createTransport', { consultationId, direction: 'send' });
    if (!t.ok) throw new Error(`createTransport: ${t.message}`);
    const path: SendPath = {
      rtpCapabilities: caps.data.rtpCapabilities,
      transport: t.data,
      connect: (dtlsParameters) =>
        client.request('media:connectTransport', { consultationId, transportId: t.data.id, dtlsParameters }),
      produce: (kind, rtpParameters) =>
        client.request('media:produce', { consultationId, transportId: t.data.id, kind, rtpParameters }),
    };
    return MediaBot.over(path, silentForMs);
  }

  /** The same microphone sent through a network test (pre-call check) the client opened. */
  static async sendAudioToProbe(client: TestClient, consultationId: string): Promise<MediaBot & { probeId: string }> {
    const opened = await client.request('probe:open', { consultationId });
    if (!opened.ok) throw new Error(`probe:open: ${opened.code} ${opened.message}`);
    const { probeId } = opened.data;
    const bot = await MediaBot.over({
      rtpCapabilities: opened.data.rtpCapabilities,
      transport: opened.data.transport,
      connect: (dtlsParameters) => client.request('probe:connect', { probeId, dtlsParameters }),
      produce: (kind, rtpParameters) => client.request('probe:produce', { probeId, kind, rtpParameters }),
    });
    return Object.assign(bot, { probeId });
  }

  static async over(path: SendPath, silentForMs = 0): Promise<MediaBot> {
    const device = new Device({ handlerName: 'Chrome111' });
    await device.load({ routerRtpCapabilities: path.rtpCapabilities as never });
    const transport = device.createSendTransport(path.transport as never);
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      path.connect(dtlsParameters as never).then((r) => (r.ok ? done() : fail(new Error(r.message))), fail);
    });
    transport.on('produce', ({ kind, rtpParameters }, done, fail) => {
      path
        .produce(kind, rtpParameters as never)
        .then((r) => (r.ok ? done({ id: r.data.producerId }) : fail(new Error(r.message))), fail);
    });
    const source = new wrtc.nonstandard.RTCAudioSource();
    const track = source.createTrack() as unknown as MediaStreamTrack;
    // 400 Hz: exactly 4 periods in 10 ms, so every frame is the same buffer without a click.
    const samples = Int16Array.from({ length: (SAMPLE_RATE * FRAME_MS) / 1000 }, (_, i) =>
      Math.round(3_000 * Math.sin((2 * Math.PI * 400 * i) / SAMPLE_RATE)),
    );
    let soundFrom = silentForMs > 0 ? Number.POSITIVE_INFINITY : 0;
    const timer = setInterval(() => {
      if (Date.now() >= soundFrom) source.onData({ samples, sampleRate: SAMPLE_RATE });
    }, FRAME_MS);
    try {
      const producer = await transport.produce({ track });
      if (silentForMs > 0) soundFrom = Date.now() + silentForMs;
      const firstSentAt = await firstPacketSent(transport);
      return new MediaBot(producer.id, firstSentAt, transport, timer, track);
    } catch (e) {
      clearInterval(timer);
      track.stop();
      transport.close();
      throw e;
    }
  }

  /** Stops sending (the SFU's producer stays until the client leaves). */
  close(): void {
    clearInterval(this.#timer);
    this.#track.stop();
    this.#transport.close();
  }
}
