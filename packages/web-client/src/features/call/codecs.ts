// Which video codec a device sends. iPhones and iPads encode H264 in hardware (VP8 in software:
// warmer, slower, more battery), so they send H264 when the media server offers it; every other
// device keeps the router's first choice (VP8). Receivers decode either.
import type { types } from 'mediasoup-client';
import type { Platform } from '../precall/permissionHelp.ts';

export function preferredVideoCodec(
  codecs: readonly types.RtpCodecCapability[] | undefined,
  platform: Platform,
): types.RtpCodecCapability | undefined {
  if (platform !== 'ios') return undefined;
  return codecs?.find((c) => c.mimeType.toLowerCase() === 'video/h264');
}
