import { z } from 'zod';

// Schemas for the WebRTC parameter objects that cross the wire. They check shape and bounds;
// mediasoup validates the semantics (codecs, fingerprints) and its errors map to MEDIA_ERROR.
const Str = z.string().max(512);

export const MediaKind = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof MediaKind>;

export const TransportDirection = z.enum(['send', 'recv']);
export type TransportDirection = z.infer<typeof TransportDirection>;

export const DtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.object({ algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']), value: Str }))
    .min(1)
    .max(8),
});
export type DtlsParameters = z.infer<typeof DtlsParameters>;

const Params = z.record(z.string().max(64), z.union([z.string().max(512), z.number()]));
const Fb = z.array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() })).max(16);

export const RtpCodecCapability = z.looseObject({
  kind: MediaKind,
  mimeType: z.string().max(64),
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().max(8).optional(),
  parameters: Params.optional(),
  rtcpFeedback: Fb.optional(),
});

export const RtpCapabilities = z.looseObject({
  codecs: z.array(RtpCodecCapability).max(64).optional(),
  headerExtensions: z
    .array(z.looseObject({ uri: Str, preferredId: z.number().int() }))
    .max(64)
    .optional(),
});
export type RtpCapabilities = z.infer<typeof RtpCapabilities>;

/**
 * The video codecs a participant's browser can decode (`video/VP8`, `video/H264`…), declared when
 * its media session starts: a sender picks a codec every receiver in the room decodes (Firefox
 * builds without OpenH264 decode no H264).
 */
export const VideoDecoders = z.array(z.string().regex(/^video\/[A-Za-z0-9-]{1,24}$/)).max(16);
export type VideoDecoders = z.infer<typeof VideoDecoders>;

export const RtpParameters = z.looseObject({
  mid: z.string().max(32).optional(),
  codecs: z
    .array(
      z.looseObject({
        mimeType: z.string().max(64),
        payloadType: z.number().int().min(0).max(127),
        clockRate: z.number().int().positive(),
        channels: z.number().int().positive().max(8).optional(),
        parameters: Params.optional(),
        rtcpFeedback: Fb.optional(),
      }),
    )
    .min(1)
    .max(32),
  headerExtensions: z
    .array(z.looseObject({ uri: Str, id: z.number().int() }))
    .max(32)
    .optional(),
  encodings: z.array(z.looseObject({})).max(8).optional(),
  rtcp: z.looseObject({}).optional(),
});
export type RtpParameters = z.infer<typeof RtpParameters>;

/** What a client needs to build a mediasoup-client transport. Produced by the SFU, not validated inbound. */
export interface TransportOptions {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: Array<{
    foundation: string;
    priority: number;
    address: string;
    ip?: string;
    protocol: 'udp' | 'tcp';
    port: number;
    type: 'host' | 'srflx' | 'prflx' | 'relay';
    tcpType?: 'passive';
  }>;
  dtlsParameters: DtlsParameters;
  /**
   * TURN servers with short-lived credentials (the TURN REST scheme), for networks where the media
   * server cannot be reached directly; added by signaling, absent when none is configured.
   */
  iceServers?: IceServer[];
  /** `relay`: media only through the TURN servers (a deployment that wants no direct path). */
  iceTransportPolicy?: 'all' | 'relay';
}

export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
}
