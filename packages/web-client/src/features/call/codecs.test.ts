import { describe, expect, it } from 'vitest';
import type { types } from 'mediasoup-client';
import { decodableVideo, preferredVideoCodec } from './codecs.ts';

const vp8: types.RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/VP8',
  clockRate: 90000,
  preferredPayloadType: 96,
};
const rtx: types.RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/rtx',
  clockRate: 90000,
  preferredPayloadType: 98,
};
const h264: types.RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/H264',
  clockRate: 90000,
  preferredPayloadType: 97,
  parameters: { 'profile-level-id': '42e01f' },
};
const opus: types.RtpCodecCapability = {
  kind: 'audio',
  mimeType: 'audio/opus',
  clockRate: 48000,
  channels: 2,
  preferredPayloadType: 100,
};

describe('preferredVideoCodec', () => {
  it('sends H264 from iOS when the media server offers it, the router default elsewhere', () => {
    expect(preferredVideoCodec([vp8, rtx, h264], 'ios')).toBe(h264);
    expect(preferredVideoCodec([vp8], 'ios')).toBeUndefined();
    expect(preferredVideoCodec([vp8, h264], 'android')).toBeUndefined();
    expect(preferredVideoCodec([vp8, h264], 'desktop')).toBeUndefined();
    expect(preferredVideoCodec(undefined, 'ios')).toBeUndefined();
  });
  it('sends only what the other side decodes: VP8 from an iPhone to a browser without H264', () => {
    expect(preferredVideoCodec([vp8, rtx, h264], 'ios', ['video/vp8', 'video/vp9'])).toBeUndefined();
    expect(preferredVideoCodec([vp8, rtx, h264], 'ios', ['video/vp8', 'video/h264'])).toBe(h264);
    // A receiver that decodes H264 only: H264, whatever the device.
    expect(preferredVideoCodec([vp8, rtx, h264], 'desktop', ['video/h264'])).toBe(h264);
  });
});

describe('decodableVideo', () => {
  it('lists the video codecs of receive capabilities once each, without rtx and audio', () => {
    expect(decodableVideo({ codecs: [opus, vp8, rtx, h264, { ...h264, preferredPayloadType: 98 }] })).toEqual([
      'video/vp8',
      'video/h264',
    ]);
    expect(decodableVideo(undefined)).toEqual([]);
  });
});
