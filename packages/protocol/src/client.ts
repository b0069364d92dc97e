import { z } from 'zod';
import type { Ack } from './errors.ts';
import { Id, MediaId, type Role } from './ids.ts';
import {
  DtlsParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  VideoDecoders,
  type ConsumerOptions,
  type IceServer,
  type TransportOptions,
} from './media.ts';

// Client <-> signaling contract (Socket.IO). Every request is `(payload, ack)`, its payload validated
// by the schema below, its answer an Ack. The server derives who is asking and which consultation
// from the socket's verified token, never from the payload.

export const ConsultationState = {
  SCHEDULED: 'scheduled',
  WAITING: 'waiting',
  IN_CALL: 'in_call',
  ENDED: 'ended',
} as const;
export type ConsultationState = (typeof ConsultationState)[keyof typeof ConsultationState];

export const EndReason = {
  HUNG_UP: 'hung_up',
  DECLINED: 'declined',
  MEDIA_LOST: 'media_lost',
  /** Both participants gone for longer than the reconnection grace period. */
  ABANDONED: 'abandoned',
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** Who ended a consultation: a participant, or the platform itself (grace period over, media lost). */
export const EndedBy = z.enum(['patient', 'practitioner', 'system']);
export type EndedBy = z.infer<typeof EndedBy>;

/**
 * `consultation:ended`, to both sides: why, by whom, the call's length (admission to end; absent
 * when there was no call) and, for a decline, the practitioner's words. Signaling parses what it
 * sends with this schema.
 */
export const ConsultationEndedEvent = z.object({
  consultationId: Id,
  reason: z.enum(Object.values(EndReason) as [EndReason, ...EndReason[]]),
  by: EndedBy,
  callMs: z.number().int().nonnegative().optional(),
  message: z.string().max(200).optional(),
});
export type ConsultationEndedEvent = z.infer<typeof ConsultationEndedEvent>;

export const PractitionerStatus = { ONLINE: 'online', IN_CALL: 'in_call', AWAY: 'away' } as const;
export type PractitionerStatus = (typeof PractitionerStatus)[keyof typeof PractitionerStatus];

/** How the patient's network test to the media server went (pre-call): `failed`, it could not reach it. */
export const NetworkGrade = z.enum(['good', 'fair', 'poor', 'failed']);
export type NetworkGrade = z.infer<typeof NetworkGrade>;

export interface DeviceCheck {
  camera: boolean;
  microphone: boolean;
  /** The network test's grade, when it finished before the check-in. */
  network?: NetworkGrade;
}

/** The devices a patient joins with, from their device check. */
export interface PatientDevices {
  camera: boolean;
  microphone: boolean;
}

/** What a waiting patient sees of their place: 1-based position and an estimate. */
export interface WaitingPosition {
  consultationId: string;
  position: number;
  estimatedWaitMs: number;
  practitionerStatus: PractitionerStatus;
}

/** One waiting patient, as the practitioner's queue shows them. */
export interface QueueEntryView {
  consultationId: string;
  patientName: string;
  reason: string | null;
  deviceCheck: DeviceCheck | null;
  checkedInAt: number;
  present: boolean;
}

/** A practitioner's waiting room: the first QUEUE_VIEW_LIMIT entries in order, and how many wait. */
export interface QueueView {
  entries: QueueEntryView[];
  total: number;
  status: PractitionerStatus;
}
export const QUEUE_VIEW_LIMIT = 200;

export interface ConsultationView {
  consultationId: string;
  state: ConsultationState;
  createdAt: number;
  /** When the appointment is, for a scheduled consultation. */
  scheduledAt: number | null;
  /** Whether the patient is connected right now. */
  patientPresent: boolean;
  practitionerPresent: boolean;
  patientName: string | null;
  /**
   * What the patient gave as the reason for the visit at check-in: only in the answer to
   * `consultation:join` (null in broadcasts: patient free text never crosses instances).
   */
  reason: string | null;
  /** Who the patient waits for, and where (VISITA_PRACTICE_NAME): shown in the waiting room. */
  practitionerName: string | null;
  practiceName: string | null;
  /**
   * When the practitioner admitted the patient (epoch ms), while in a call: what the call's timer
   * counts from, as the bill is dated from the call (it stays through a move to another media node).
   */
  admittedAt: number | null;
  /**
   * What the patient's device check let them share (camera, microphone), as given at check-in;
   * null before. Neither: they joined by the chat only; the microphone alone: by sound only.
   */
  patientDevices: PatientDevices | null;
  /**
   * Admitted while no media server had room: the call starts by itself as soon as one has. `etaMs`:
   * the autoscaler's estimate of when a new node carries calls (null: no estimate, e.g. no
   * autoscaler or already at its maximum). Only on a waiting consultation.
   */
  admission?: PendingAdmissionView;
}

export interface PendingAdmissionView {
  /** When the practitioner admitted (epoch ms). */
  since: number;
  etaMs: number | null;
}

export interface ProducerInfo {
  producerId: string;
  kind: MediaKind;
  role: Role;
  paused: boolean;
}

export const DeviceCheckSchema = z.object({
  camera: z.boolean(),
  microphone: z.boolean(),
  network: NetworkGrade.optional(),
});
export const JoinRequest = z.object({
  consultationId: Id,
  /** Patients: the check-in (name, optional reason, result of the pre-call device check). */
  displayName: z.string().trim().min(1).max(80).optional(),
  reason: z.string().trim().min(1).max(200).optional(),
  deviceCheck: DeviceCheckSchema.optional(),
  /**
   * Back in a call after a cut, with this participant's media still up in the page: the node keeps
   * their transports (the page restarts ICE on them). Without it, joining a call frees them.
   */
  keepMedia: z.boolean().optional(),
});
export const DeclineRequest = z.object({ consultationId: Id, reason: z.string().trim().min(1).max(200) });
export const MessageRequest = z.object({ consultationId: Id, text: z.string().trim().min(1).max(280) });
export const WatchQueueRequest = z.object({});
export const ChatSendRequest = z.object({ consultationId: Id, text: z.string().trim().min(1).max(1000) });

/** One chat line between the waiting (or consulting) patient and the practitioner. */
export interface ChatMessage {
  id: string;
  consultationId: string;
  from: Role;
  text: string;
  at: number;
}
export const ConsultationRequest = z.object({ consultationId: Id });
/** A media session's device is loaded: the video codecs this browser decodes. */
export const DecodersRequest = z.object({ consultationId: Id, video: VideoDecoders });
/** One page of chat history, newest last: at most CHAT_PAGE_MAX messages, older than `before` (ms) if given. */
export const CHAT_PAGE_MAX = 50;
export const ChatHistoryRequest = z.object({
  consultationId: Id,
  limit: z.number().int().min(1).max(CHAT_PAGE_MAX).optional(),
  before: z.number().int().nonnegative().optional(),
});
export const CreateTransportRequest = z.object({ consultationId: Id, direction: TransportDirection });
export const ConnectTransportRequest = z.object({
  consultationId: Id,
  transportId: MediaId,
  dtlsParameters: DtlsParameters,
});
/** Restarts ICE on one of the caller's transports (its network changed): new ICE credentials. */
export const RestartIceRequest = z.object({ consultationId: Id, transportId: MediaId });
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
/** A network test (pre-call): its id is the node room's, known only to the socket that opened it. */
export const ProbeId = z.string().regex(/^probe-[0-9a-f-]{36}$/, 'expected a network test id');
export const ProbeOpenRequest = z.object({ consultationId: Id });
export const ProbeConnectRequest = z.object({ probeId: ProbeId, dtlsParameters: DtlsParameters });
export const ProbeProduceRequest = z.object({ probeId: ProbeId, kind: MediaKind, rtpParameters: RtpParameters });
export const ProbeCloseRequest = z.object({ probeId: ProbeId });
/**
 * What opening a network test answers: a send transport on a media node (with the TURN servers and
 * ICE policy of a call), the router's capabilities, and how long the node keeps it.
 */
export interface ProbeOpened {
  probeId: string;
  rtpCapabilities: RtpCapabilities;
  transport: TransportOptions;
  ttlMs: number;
}
export const SetProducerPausedRequest = z.object({ consultationId: Id, producerId: MediaId, paused: z.boolean() });

/** Request name -> [payload, answer]. */
export interface ClientRequests {
  'consultation:join': [z.infer<typeof JoinRequest>, ConsultationView];
  'consultation:admit': [z.infer<typeof ConsultationRequest>, ConsultationView];
  'consultation:hangUp': [z.infer<typeof ConsultationRequest>, ConsultationView];
  'consultation:decline': [z.infer<typeof DeclineRequest>, ConsultationView];
  'waiting:message': [z.infer<typeof MessageRequest>, { sent: true }];
  'queue:watch': [z.infer<typeof WatchQueueRequest>, QueueView];
  'chat:send': [z.infer<typeof ChatSendRequest>, ChatMessage];
  /** `more`: older messages exist (ask again with `before` = the first message's `at`). */
  'chat:history': [z.infer<typeof ChatHistoryRequest>, { messages: ChatMessage[]; more: boolean }];
  'media:routerCapabilities': [z.infer<typeof ConsultationRequest>, { rtpCapabilities: RtpCapabilities }];
  /** `peer`: what the other side declared it decodes, null while it has not (its media not started). */
  'media:decoders': [z.infer<typeof DecodersRequest>, { peer: VideoDecoders | null }];
  'media:createTransport': [z.infer<typeof CreateTransportRequest>, TransportOptions];
  'media:connectTransport': [z.infer<typeof ConnectTransportRequest>, { connected: true }];
  'media:restartIce': [
    z.infer<typeof RestartIceRequest>,
    // Fresh TURN credentials with the new ICE parameters (a call may outlive the first ones).
    { iceParameters: TransportOptions['iceParameters']; iceServers?: IceServer[] },
  ];
  /**
   * Fresh TURN credentials for a page in a call, asked for every TURN_RENEW_MS: its transports use
   * them for the allocations they make later (one already made outlives its credentials). Refused
   * once the call is over or the link revoked; empty when no TURN server is configured.
   */
  'media:iceServers': [z.infer<typeof ConsultationRequest>, { iceServers: IceServer[] }];
  'media:produce': [z.infer<typeof ProduceRequest>, { producerId: string }];
  'media:producers': [z.infer<typeof ConsultationRequest>, { producers: ProducerInfo[] }];
  'media:consume': [z.infer<typeof ConsumeRequest>, ConsumerOptions];
  'media:resumeConsumer': [z.infer<typeof ConsumerRequest>, { resumed: true }];
  'media:setProducerPaused': [z.infer<typeof SetProducerPausedRequest>, { paused: boolean }];
  'probe:open': [z.infer<typeof ProbeOpenRequest>, ProbeOpened];
  'probe:connect': [z.infer<typeof ProbeConnectRequest>, { connected: true }];
  'probe:produce': [z.infer<typeof ProbeProduceRequest>, { producerId: string }];
  'probe:close': [z.infer<typeof ProbeCloseRequest>, { closed: boolean }];
}
export type ClientRequestName = keyof ClientRequests;

export const clientRequestSchemas: { [K in ClientRequestName]: z.ZodType<ClientRequests[K][0]> } = {
  'consultation:join': JoinRequest,
  'consultation:admit': ConsultationRequest,
  'consultation:hangUp': ConsultationRequest,
  'consultation:decline': DeclineRequest,
  'waiting:message': MessageRequest,
  'queue:watch': WatchQueueRequest,
  'chat:send': ChatSendRequest,
  'chat:history': ChatHistoryRequest,
  'media:routerCapabilities': ConsultationRequest,
  'media:decoders': DecodersRequest,
  'media:createTransport': CreateTransportRequest,
  'media:connectTransport': ConnectTransportRequest,
  'media:restartIce': RestartIceRequest,
  'media:iceServers': ConsultationRequest,
  'media:produce': ProduceRequest,
  'media:producers': ConsultationRequest,
  'media:consume': ConsumeRequest,
  'media:resumeConsumer': ConsumerRequest,
  'media:setProducerPaused': SetProducerPausedRequest,
  'probe:open': ProbeOpenRequest,
  'probe:connect': ProbeConnectRequest,
  'probe:produce': ProbeProduceRequest,
  'probe:close': ProbeCloseRequest,
};

export type ClientToServerEvents = {
  [K in ClientRequestName]: (payload: ClientRequests[K][0], ack: (result: Ack<ClientRequests[K][1]>) => void) => void;
};

/** Pushed by signaling to the clients of one consultation. */
export interface ServerToClientEvents {
  'consultation:updated': (view: ConsultationView) => void;
  /** The patient was admitted: build transports now. */
  'consultation:admitted': (view: ConsultationView) => void;
  'consultation:ended': (event: ConsultationEndedEvent) => void;
  /** To each waiting patient whenever the queue moves. */
  'waiting:position': (position: WaitingPosition) => void;
  /** A short message from the practitioner to a waiting patient. */
  'waiting:message': (message: { consultationId: string; text: string; at: number }) => void;
  'chat:message': (message: ChatMessage) => void;
  /** To the practitioner's dashboards (every tab, every instance) whenever their queue changes. */
  'queue:updated': (queue: QueueView) => void;
  'media:newProducer': (producer: ProducerInfo) => void;
  'media:consumerClosed': (event: { consumerId: string }) => void;
  'media:producerPaused': (event: { producerId: string; paused: boolean }) => void;
  /** The other side's media session started and declared the video codecs it decodes: send one of them. */
  'media:peerDecoders': (event: { consultationId: string; video: VideoDecoders }) => void;
  /** This patient link was opened on another device or tab: this one is disconnected and must release its media. */
  'session:replaced': (event: { consultationId: string }) => void;
  /**
   * The practice revoked this patient link (every link issued so far): this connection is closed
   * next; the page says the link is no longer valid and releases camera and microphone.
   */
  'link:revoked': (event: { consultationId: string }) => void;
  /**
   * Whether signaling can keep records now (its Redis): sent on each change, and on connecting while
   * it cannot. Calls in progress go on either way; requests meanwhile answer UNAVAILABLE.
   */
  'service:status': (status: ServiceStatus) => void;
}

export interface ServiceStatus {
  available: boolean;
}

/**
 * What each request costs a socket's budget: a class of requests shares one token bucket per
 * socket (see signaling's socketBudgets.ts). Past it the answer is RATE_LIMITED.
 */
export const RequestClass = { MEDIA: 'media', CHAT: 'chat', READ: 'read', CONTROL: 'control' } as const;
export type RequestClass = (typeof RequestClass)[keyof typeof RequestClass];
export const requestClass: { [K in ClientRequestName]: RequestClass } = {
  'consultation:join': RequestClass.READ,
  'consultation:admit': RequestClass.CONTROL,
  'consultation:hangUp': RequestClass.CONTROL,
  'consultation:decline': RequestClass.CONTROL,
  'waiting:message': RequestClass.CHAT,
  'queue:watch': RequestClass.READ,
  'chat:send': RequestClass.CHAT,
  'chat:history': RequestClass.READ,
  'media:routerCapabilities': RequestClass.MEDIA,
  'media:decoders': RequestClass.MEDIA,
  'media:createTransport': RequestClass.MEDIA,
  'media:connectTransport': RequestClass.MEDIA,
  'media:restartIce': RequestClass.MEDIA,
  'media:iceServers': RequestClass.MEDIA,
  'media:produce': RequestClass.MEDIA,
  'media:producers': RequestClass.MEDIA,
  'media:consume': RequestClass.MEDIA,
  'media:resumeConsumer': RequestClass.MEDIA,
  'media:setProducerPaused': RequestClass.MEDIA,
  'probe:open': RequestClass.MEDIA,
  'probe:connect': RequestClass.MEDIA,
  'probe:produce': RequestClass.MEDIA,
  'probe:close': RequestClass.MEDIA,
};

/** Sent in the Socket.IO handshake `auth` object. */
export const HandshakeAuth = z.object({ token: z.string().min(1).max(4096), protocolVersion: z.number().int() });
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;
