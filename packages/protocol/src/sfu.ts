import { z } from 'zod';
import type { Ack } from './errors.ts';
import { Id, MediaId } from './ids.ts';
import {
  DtlsParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  VideoDecoders,
  type ConsumerOptions,
  type TransportOptions,
} from './media.ts';

// Signaling <-> SFU node contract: a typed request/ack RPC over one persistent Socket.IO
// connection per node, authenticated with an SfuControl token. A room is one consultation;
// a peer is one participant (its id is chosen by signaling from the verified token).

const Room = { roomId: Id };
/** The longest a network test may hold its room on a node. */
export const PROBE_MAX_TTL_MS = 60_000;
const Peer = { roomId: Id, peerId: Id };

export const SfuRequestSchemas = {
  /** With `peerId` and `decoders`: that peer's video decoders are kept with the room (its media session starts). */
  'room.open': z.object({ ...Room, peerId: Id.optional(), decoders: VideoDecoders.optional() }),
  'room.close': z.object(Room),
  'room.get': z.object(Room),
  'peer.close': z.object(Peer),
  'transport.create': z.object({ ...Peer, direction: TransportDirection }),
  'transport.connect': z.object({ ...Peer, transportId: MediaId, dtlsParameters: DtlsParameters }),
  'transport.restartIce': z.object({ ...Peer, transportId: MediaId }),
  'producer.create': z.object({ ...Peer, transportId: MediaId, kind: MediaKind, rtpParameters: RtpParameters }),
  'producer.setPaused': z.object({ ...Peer, producerId: MediaId, paused: z.boolean() }),
  'consumer.create': z.object({
    ...Peer,
    transportId: MediaId,
    producerId: MediaId,
    rtpCapabilities: RtpCapabilities,
  }),
  'consumer.resume': z.object({ ...Peer, consumerId: MediaId }),
  'node.status': z.object({}),
  /**
   * A network test (a patient's pre-call check): a room of its own with one peer, closed by the
   * node itself after `ttlMs` whatever signaling does; not a consultation (no `room.closed` event,
   * not counted as a call in the heartbeat).
   */
  'probe.open': z.object({ ...Room, ttlMs: z.number().int().min(1_000).max(PROBE_MAX_TTL_MS) }),
} as const;

export interface RoomSummary {
  roomId: string;
  peers: Array<{
    peerId: string;
    transports: number;
    /** `flowingAt`: when the producer's first RTP packet reached the node (its clock, ms), or null. */
    producers: Array<{ id: string; kind: MediaKind; paused: boolean; flowingAt: number | null }>;
    consumers: number;
  }>;
}

export interface NodeStatus {
  nodeId: string;
  workers: number;
  /** Consultations' rooms (network tests' rooms are `probes`). */
  rooms: number;
  probes: number;
  /** Each worker's share, in the pool's order: its process, calls and consumers. */
  perWorker: Array<{ pid: number; rooms: number; consumers: number }>;
  transports: number;
  producers: number;
  consumers: number;
}

export interface SfuResponses {
  /** `decoders`: each peer's declared video decoders, by peer id. */
  'room.open': { rtpCapabilities: RtpCapabilities; created: boolean; decoders: Record<string, VideoDecoders> };
  'room.close': { closed: boolean };
  'room.get': RoomSummary;
  'peer.close': { closed: boolean };
  'transport.create': TransportOptions;
  'transport.connect': { connected: true };
  'transport.restartIce': { iceParameters: TransportOptions['iceParameters'] };
  'producer.create': { producerId: string };
  'producer.setPaused': { paused: boolean };
  'consumer.create': ConsumerOptions;
  'consumer.resume': { resumed: true };
  'node.status': NodeStatus;
  'probe.open': { rtpCapabilities: RtpCapabilities };
}

export type SfuMethod = keyof typeof SfuRequestSchemas;
export type SfuRequest<M extends SfuMethod> = z.infer<(typeof SfuRequestSchemas)[M]>;

/** The RPC method map: method -> params -> result. */
export type SfuMethods = { [M in SfuMethod]: { params: SfuRequest<M>; result: SfuResponses[M] } };
/** What an SFU node implements: one handler per method, typed by the map. */
export type SfuHandlers = {
  [M in SfuMethod]: (params: SfuMethods[M]['params']) => Promise<SfuMethods[M]['result']>;
};
/**
 * One call on the wire: a method with its own params. `SfuCall` is the discriminated union of every
 * method's call; `SfuCall<M>` is the call of the methods M (for a generic M, `{ method: M; params }`).
 */
export type SfuCall<M extends SfuMethod = SfuMethod> = {
  [K in M]: { method: K; params: SfuMethods[K]['params'] };
}[M];
/** Any method's result, as the node answers it. */
export type SfuResult = SfuResponses[SfuMethod];

const SfuRpcEnvelope = z.object({ method: z.string().max(64), params: z.unknown() });

/** The schemas as the method map sees them (a checked assignment): method M's parses to M's params. */
const paramsSchemas: { [M in SfuMethod]: z.ZodType<SfuRequest<M>> } = SfuRequestSchemas;

/** A method of the map, by own key only (so `__proto__`, `constructor` or `toString` are not). */
function isSfuMethod(method: string): method is SfuMethod {
  return Object.hasOwn(SfuRequestSchemas, method);
}

/**
 * Validates a call as it arrives at a node: the envelope, a method of the map, and its params
 * against that method's schema. Pure; the messages are those the node answers with (BAD_REQUEST).
 */
export function parseSfuCall(envelope: unknown): { ok: true; call: SfuCall } | { ok: false; message: string } {
  const env = SfuRpcEnvelope.safeParse(envelope);
  if (!env.success) return { ok: false, message: 'malformed rpc envelope' };
  const { method } = env.data;
  if (!isSfuMethod(method)) return { ok: false, message: `unknown method ${method}` };
  return parseParams(method, env.data.params);
}

// Correlated generic: `paramsSchemas[method]` parses to `SfuRequest<M>`, so the call is `SfuCall<M>`.
function parseParams<M extends SfuMethod>(
  method: M,
  raw: unknown,
): { ok: true; call: SfuCall<M> } | { ok: false; message: string } {
  const params = paramsSchemas[method].safeParse(raw);
  if (!params.success) return { ok: false, message: `${method}: ${params.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, call: { method, params: params.data } };
}

/** The call of method M as it goes on the wire (what signaling sends). */
export function sfuCall<M extends SfuMethod>(method: M, params: SfuRequest<M>): SfuCall {
  const call: SfuCall<M> = { method, params };
  // The one cast of the contract: `SfuCall<M>` is M's member of the union, but TypeScript does not
  // relate a call of a generic M to the union of all calls.
  return call as SfuCall;
}

/**
 * Runs a call on the handler of its method. Correlated generic: `handlers[call.method]` is
 * `SfuHandlers[M]` and `call.params` is `SfuMethods[M]['params']`, so no cast is needed.
 */
export function dispatchSfuCall<M extends SfuMethod>(
  handlers: SfuHandlers,
  call: SfuCall<M>,
): Promise<SfuMethods[M]['result']> {
  const handler: SfuHandlers[M] = handlers[call.method];
  return handler(call.params);
}

/**
 * Why a node closed a room: signaling asked (`closed`), its worker died, or the node finished
 * draining with the room still open (`drained`). The last two mean the call must be placed again.
 */
export const RoomClosedReason = { CLOSED: 'closed', WORKER_DIED: 'worker_died', DRAINED: 'drained' } as const;
export type RoomClosedReason = (typeof RoomClosedReason)[keyof typeof RoomClosedReason];

/** Events the SFU node pushes to signaling on the control connection. */
export interface SfuToSignalingEvents {
  'room.closed': (event: { roomId: string; reason: RoomClosedReason }) => void;
  'consumer.closed': (event: { roomId: string; peerId: string; consumerId: string }) => void;
  'producer.paused': (event: { roomId: string; peerId: string; producerId: string; paused: boolean }) => void;
  /** A producer's first RTP packet reached the node: its media flows (billing starts from here). */
  'producer.flowing': (event: ProducerFlowing) => void;
}

/** `producer.flowing` as signaling checks it (a node is authenticated, but an event is still parsed). */
export const ProducerFlowing = z.object({
  roomId: Id,
  peerId: Id,
  producerId: MediaId,
  kind: MediaKind,
  /** The node's clock, ms. */
  at: z.number().int().nonnegative(),
});
export type ProducerFlowing = z.infer<typeof ProducerFlowing>;

export interface SignalingToSfuEvents {
  rpc: (call: SfuCall, ack: (result: Ack<SfuResult>) => void) => void;
}

/** What every SFU node writes to Redis on each heartbeat (key sfuNodeKey(nodeId), with a TTL). */
export const SfuNodeRecord = z.object({
  nodeId: Id,
  controlUrl: z.string().url(),
  state: z.enum(['serving', 'draining']),
  workers: z.number().int().nonnegative(),
  rooms: z.number().int().nonnegative(),
  consumers: z.number().int().nonnegative(),
  /** The node's capacity: consumers it takes at most (placement leaves a node that a call would overfill). */
  maxConsumers: z.number().int().positive(),
  cpu: z.number().nonnegative(),
  updatedAt: z.number().int(),
  /** Network tests (pre-call) held: not calls, not in `rooms`. */
  probes: z.number().int().nonnegative().optional(),
  /** Each worker's calls, consumers and CPU (cores) over the last heartbeat; its capacity is maxConsumers / workers. */
  perWorker: z
    .array(
      z.object({
        pid: z.number().int().nonnegative(),
        rooms: z.number().int().nonnegative(),
        consumers: z.number().int().nonnegative(),
        cpu: z.number().nonnegative(),
      }),
    )
    .max(256)
    .optional(),
});
export type SfuNodeRecord = z.infer<typeof SfuNodeRecord>;

/**
 * The record as stored: `sig` is an HMAC-SHA256 over the canonical JSON of the other fields, keyed
 * from the shared SFU secret (`@visita/protocol/nodeRecord`). Anyone who can write to Redis but
 * lacks the secret cannot make signaling place a room on, or connect to, a node of their choosing.
 */
export const SignedSfuNodeRecord = SfuNodeRecord.extend({ sig: z.string().regex(/^[0-9a-f]{64}$/) });
export type SignedSfuNodeRecord = z.infer<typeof SignedSfuNodeRecord>;

export const SFU_HEARTBEAT_MS = 2_000;
/** A node whose record is older than this is stale and never chosen. */
export const SFU_STALE_MS = 6_000;
export const sfuNodeKey = (nodeId: string): string => `visita:sfu:node:${nodeId}`;
export const SFU_NODES_SET = 'visita:sfu:nodes';
