// The other side's microphone and camera as one media session receives them: which producers the
// other side has (and whether they paused them), the consumers on the receive transport, and the
// stream the call view plays. Knows no React.
import type { types } from 'mediasoup-client';
import type { ProducerInfo } from '@visita/protocol';
import { request, type SignalingSocket } from '../../lib/signaling.ts';

/** The other side's microphone or camera: not sent at all, sent, or paused by them. */
export type RemoteTrackState = 'none' | 'live' | 'paused';

export class RemoteMedia {
  readonly stream = new MediaStream();
  readonly #socket: SignalingSocket;
  readonly #consultationId: string;
  readonly #changed: () => void;
  readonly #consumers = new Map<string, types.Consumer>();
  /**
   * Producers consumed or being consumed: claimed before the first await, so the new-producer
   * event and the producer list cannot both consume one producer (they race at start).
   */
  readonly #consumed = new Set<string>();
  /** The other side's producers: their kind and whether they paused them. */
  readonly #producers = new Map<string, { kind: 'audio' | 'video'; paused: boolean }>();

  constructor(socket: SignalingSocket, consultationId: string, changed: () => void) {
    this.#socket = socket;
    this.#consultationId = consultationId;
    this.#changed = changed;
  }

  /** The other side's microphone and camera as this side receives them. */
  get state(): { audio: RemoteTrackState; video: RemoteTrackState } {
    const out: { audio: RemoteTrackState; video: RemoteTrackState } = { audio: 'none', video: 'none' };
    for (const consumer of this.#consumers.values()) {
      const p = this.#producers.get(consumer.producerId);
      out[consumer.kind as 'audio' | 'video'] = p?.paused ? 'paused' : 'live';
    }
    return out;
  }

  /** A producer of the other side, announced or listed: received on `recv` (undefined: not yet made). */
  receive(p: ProducerInfo, recv: types.Transport | undefined, caps: types.RtpCapabilities): Promise<void> {
    this.#producers.set(p.producerId, { kind: p.kind, paused: p.paused });
    return this.#consume(recv, p.producerId, caps).catch((e: Error & { code?: string }) =>
      // Never dropped silently; a later announcement (the sender changing codec, a resync) tries again.
      console.warn(`[visita] cannot receive the other side's ${p.kind}: ${e.code ?? ''} ${e.message}`),
    );
  }

  /** The other side paused or resumed a producer. */
  paused(producerId: string, paused: boolean): void {
    const known = this.#producers.get(producerId);
    if (!known) return;
    known.paused = paused;
    this.#changed();
  }

  /** The node listed the other side's producers as they are now: new ones received, vanished ones dropped. */
  async resync(recv: types.Transport | undefined, caps: types.RtpCapabilities): Promise<void> {
    const { producers } = await request(this.#socket, 'media:producers', { consultationId: this.#consultationId });
    const live = new Set(producers.map((p) => p.producerId));
    for (const [id, consumer] of this.#consumers) if (!live.has(consumer.producerId)) this.drop(id);
    for (const p of producers) await this.receive(p, recv, caps);
  }

  drop(consumerId: string): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) return;
    this.#consumers.delete(consumerId);
    this.stream.removeTrack(consumer.track);
    consumer.close();
    this.#changed();
  }

  close(): void {
    for (const t of this.stream.getTracks()) this.stream.removeTrack(t);
  }

  async #consume(recv: types.Transport | undefined, producerId: string, caps: types.RtpCapabilities): Promise<void> {
    if (!recv || recv.closed || this.#consumed.has(producerId)) return;
    this.#consumed.add(producerId);
    try {
      const options = await request(this.#socket, 'media:consume', {
        consultationId: this.#consultationId,
        transportId: recv.id,
        producerId,
        rtpCapabilities: caps as never,
      });
      const consumer = await recv.consume({
        id: options.id,
        producerId: options.producerId,
        kind: options.kind,
        rtpParameters: options.rtpParameters as unknown as types.RtpParameters,
      });
      this.#consumers.set(consumer.id, consumer);
      this.stream.addTrack(consumer.track);
      this.#changed();
      await request(this.#socket, 'media:resumeConsumer', {
        consultationId: this.#consultationId,
        consumerId: consumer.id,
      });
    } catch (e) {
      this.#consumed.delete(producerId); // a later announcement may try again
      throw e;
    }
  }
}
