import { describe, expect, it } from 'vitest';
import type { types } from 'mediasoup-client';
import { preferredVideoCodec } from './codecs.ts';

const vp8: types.RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/VP8',
  clockRate: 90000,
  preferredPayloadType: 96,
};
const h264: types.RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/H264',
  clockRate: 90000,
  preferredPayloadType: 97,
  parameters: { 'profile-level-id': '42e01f' },
};

describe('preferredVideoCodec', () => {
  it('sends H264 from iOS when the media server offers it, the router default elsewhere', () => {
    expect(preferredVideoCodec([vp8, h264], 'ios')).toBe(h264);
    expect(preferredVideoCodec([vp8], 'ios')).toBeUndefined();
    expect(preferredVideoCodec([vp8, h264], 'android')).toBeUndefined();
    expect(preferredVideoCodec([vp8, h264], 'desktop')).toBeUndefined();
    expect(preferredVideoCodec(undefined, 'ios')).toBeUndefined();
  });
});
