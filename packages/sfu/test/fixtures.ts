import type { RtpParameters } from '@visita/protocol';

// Hand-written send parameters, as a browser would produce them (what mediasoup's own tests use).
export const audioRtpParameters: RtpParameters = {
  mid: '0',
  codecs: [
    { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'visita-test' },
};

export const videoRtpParameters: RtpParameters = {
  mid: '1',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    },
    { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  encodings: [{ ssrc: 22222222, rtx: { ssrc: 22222223 } }],
  rtcp: { cname: 'visita-test' },
};
