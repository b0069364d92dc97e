// Which video codec a device sends: one every receiver in the room decodes. iPhones and iPads
// encode H264 in hardware (VP8 in software: warmer, slower, more battery), so they send H264 when
// the media server offers it and the other side decodes it; every other device keeps the router's
// first choice (VP8). A receiver that decodes no H264 (Firefox built without OpenH264) gets VP8,
// which Safari sends as well. The other side's decoders are declared when its media session starts
// (`media:decoders`); before then they are not known, and the device's own choice stands.
import type { types } from 'mediasoup-client';
import type { Platform } from '../precall/permissionHelp.ts';

/** Not codecs of their own: retransmission and error correction. */
const NOT_CODECS = new Set(['video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03']);
const isCodec = (mime: string) => mime.toLowerCase().startsWith('video/') && !NOT_CODECS.has(mime.toLowerCase());

/** The video codecs this device decodes (its receive capabilities), each once. */
export function decodableVideo(caps: types.RtpCapabilities | undefined): string[] {
  const mimes = (caps?.codecs ?? []).map((c) => c.mimeType).filter(isCodec);
  return [...new Set(mimes.map((m) => m.toLowerCase()))];
}

/** Whether a receiver whose decoders are `peer` (null: not known yet) decodes `mimeType`. */
export const peerDecodes = (peer: readonly string[] | null, mimeType: string): boolean =>
  peer === null || peer.some((m) => m.toLowerCase() === mimeType.toLowerCase());

/**
 * The codec to send the camera with, among what the device and the router share (`codecs`):
 * undefined for the router's first when the other side decodes it (the usual case).
 */
export function preferredVideoCodec(
  codecs: readonly types.RtpCodecCapability[] | undefined,
  platform: Platform,
  peer: readonly string[] | null = null,
): types.RtpCodecCapability | undefined {
  const usable = (codecs ?? []).filter((c) => isCodec(c.mimeType) && peerDecodes(peer, c.mimeType));
  if (platform === 'ios') {
    const h264 = usable.find((c) => c.mimeType.toLowerCase() === 'video/h264');
    if (h264) return h264;
  }
  const first = (codecs ?? []).find((c) => isCodec(c.mimeType));
  return first && peerDecodes(peer, first.mimeType) ? undefined : usable[0];
}
