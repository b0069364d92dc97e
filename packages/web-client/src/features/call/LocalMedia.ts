// This side's microphone and camera as one media session sends them: a producer per kind, the
// camera in a codec the other side decodes (codecs.ts) — sent again in another when the other side
// declares later that it cannot decode the first —, paused and resumed with the node, another
// camera or microphone swapped in without renegotiation. Knows no React.
import type { Device, types } from 'mediasoup-client';
import { request, type SignalingSocket } from '../../lib/signaling.ts';
import { platformOf } from '../precall/permissionHelp.ts';
import { peerDecodes, preferredVideoCodec } from './codecs.ts';

type Kind = 'audio' | 'video';

export class LocalMedia {
  readonly #socket: SignalingSocket;
  readonly #consultationId: string;
  readonly #device: Device;
  readonly #producers = new Map<Kind, types.Producer>();
  /** The video codecs the other side decodes (declared when its media session starts); null: not known yet. */
  #peerDecoders: string[] | null = null;
  /** Codec changes of the camera, one after the other. */
  #videoChange: Promise<void> = Promise.resolve();

  constructor(socket: SignalingSocket, consultationId: string, device: Device) {
    this.#socket = socket;
    this.#consultationId = consultationId;
    this.#device = device;
  }

  /**
   * What the other side decodes: told by the node when it declares (`fromAnswer` false), or in the
   * answer to this side's own declaration, which does not overwrite a declaration told meanwhile.
   */
  peerDecoders(video: string[] | null, fromAnswer = false): void {
    if (!fromAnswer || this.#peerDecoders === null) this.#peerDecoders = video;
  }

  /** Sends a track on `send`: the camera with a codec the other side decodes. */
  async send(send: types.Transport, track: MediaStreamTrack): Promise<void> {
    this.#producers.set(track.kind as Kind, await this.#produce(send, track));
  }

  /**
   * The camera is sent with a codec the other side cannot decode: sent again with one it does. The
   * node replaces the old producer with the new one and tells the other side (its consumer closes,
   * a new one comes); a paused camera stays paused.
   */
  sendDecodable(send: types.Transport | undefined): Promise<void> {
    this.#videoChange = this.#videoChange
      .then(() => this.#changeVideoCodec(send))
      .catch((e: Error) => console.warn(`[visita] the camera could not change codec: ${e.message}`));
    return this.#videoChange;
  }

  /** Another track of the same kind (the other camera): on the same producer, the other side sees it at once. */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    await this.#producers.get(track.kind as Kind)?.replaceTrack({ track });
  }

  async setPaused(kind: Kind, paused: boolean): Promise<void> {
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

  async #changeVideoCodec(send: types.Transport | undefined): Promise<void> {
    const old = this.#producers.get('video');
    const mime = old?.rtpParameters.codecs[0]?.mimeType;
    if (!old || !old.track || !send || send.closed || !mime || peerDecodes(this.#peerDecoders, mime)) return;
    this.#producers.set('video', await this.#produce(send, old.track));
    old.close();
    if (old.paused) await this.setPaused('video', true);
  }
}
