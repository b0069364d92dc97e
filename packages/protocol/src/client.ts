import { z } from 'zod';
import type { Ack } from './errors.ts';
import { Id, MediaId, type Role } from './ids.ts';
import {
  DtlsParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  type ConsumerOptions,
  type TransportOptions,
} from './media.ts';

// Client <-> signaling contract (Socket.IO). Every request is `(payload, ack)`, its payload validated
// by the schema below, its answer an Ack. The server derives who is asking and which consultation
// from the socket's verified token, never from the payload.

export const ConsultationState = {
  WAITING: 'waiting',
  IN_CALL: 'in_call',
  ENDED: 'ended',
} as const;
export type ConsultationState = (typeof ConsultationState)[keyof typeof ConsultationState];

export const EndReason = {
  HUNG_UP: 'hung_up',
  MEDIA_LOST: 'media_lost',
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

export interface ConsultationView {
  consultationId: string;
  state: ConsultationState;
  createdAt: number;
  /** Whether the patient is connected right now. */
  patientPresent: boolean;
  practitionerPresent: boolean;
  patientName: string | null;
}

export interface ProducerInfo {
  producerId: string;
  kind: MediaKind;
  role: Role;
  paused: boolean;
}

export const JoinRequest = z.object({ consultationId: Id, displayName: z.string().trim().min(1).max(80).optional() });
export const ConsultationRequest = z.object({ consultationId: Id });
export const CreateTransportRequest = z.object({ consultationId: Id, direction: TransportDirection });
export const ConnectTransportRequest = z.object({ consultationId: Id, transportId: MediaId, dtlsParameters: DtlsParameters });
export const ProduceRequest = z.object({
  consultationId: Id,
  transportId: MediaId,
  kind: MediaKind,
  rtpParameters: RtpParameters,
});
export const ConsumeRequest = z.object({
  consultationId: Id,
  transportId: MediaId,
  producerId: MediaId,
  rtpCapabilities: RtpCapabilities,
});
export const ConsumerRequest = z.object({ consultationId: Id, consumerId: MediaId });
export const SetProducerPausedRequest = z.object({ consultationId: Id, producerId: MediaId, paused: z.boolean() });

/** Request name -> [payload, answer]. */
export interface ClientRequests {
  'consultation:join': [z.infer<typeof JoinRequest>, ConsultationView];
  'consultation:admit': [z.infer<typeof ConsultationRequest>, ConsultationView];
  'consultation:hangUp': [z.infer<typeof ConsultationRequest>, ConsultationView];
  'media:routerCapabilities': [z.infer<typeof ConsultationRequest>, { rtpCapabilities: RtpCapabilities }];
  'media:createTransport': [z.infer<typeof CreateTransportRequest>, TransportOptions];
  'media:connectTransport': [z.infer<typeof ConnectTransportRequest>, { connected: true }];
  'media:produce': [z.infer<typeof ProduceRequest>, { producerId: string }];
  'media:producers': [z.infer<typeof ConsultationRequest>, { producers: ProducerInfo[] }];
  'media:consume': [z.infer<typeof ConsumeRequest>, ConsumerOptions];
  'media:resumeConsumer': [z.infer<typeof ConsumerRequest>, { resumed: true }];
  'media:setProducerPaused': [z.infer<typeof SetProducerPausedRequest>, { paused: boolean }];
}
export type ClientRequestName = keyof ClientRequests;

export const clientRequestSchemas: { [K in ClientRequestName]: z.ZodType<ClientRequests[K][0]> } = {
  'consultation:join': JoinRequest,
  'consultation:admit': ConsultationRequest,
  'consultation:hangUp': ConsultationRequest,
  'media:routerCapabilities': ConsultationRequest,
  'media:createTransport': CreateTransportRequest,
  'media:connectTransport': ConnectTransportRequest,
  'media:produce': ProduceRequest,
  'media:producers': ConsultationRequest,
  'media:consume': ConsumeRequest,
  'media:resumeConsumer': ConsumerRequest,
  'media:setProducerPaused': SetProducerPausedRequest,
};

export type ClientToServerEvents = {
  [K in ClientRequestName]: (payload: ClientRequests[K][0], ack: (result: Ack<ClientRequests[K][1]>) => void) => void;
};

/** Pushed by signaling to the clients of one consultation. */
export interface ServerToClientEvents {
  'consultation:updated': (view: ConsultationView) => void;
  /** The patient was admitted: build transports now. */
  'consultation:admitted': (view: ConsultationView) => void;
  'consultation:ended': (event: { consultationId: string; reason: EndReason }) => void;
  'media:newProducer': (producer: ProducerInfo) => void;
  'media:consumerClosed': (event: { consumerId: string }) => void;
  'media:producerPaused': (event: { producerId: string; paused: boolean }) => void;
}

/** Sent in the Socket.IO handshake `auth` object. */
export const HandshakeAuth = z.object({ token: z.string().min(1).max(4096), protocolVersion: z.number().int() });
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;
