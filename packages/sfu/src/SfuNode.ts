import { EventEmitter } from 'node:events';
import {
  ErrorCode,
  VisitaError,
  type NodeStatus,
  type ProducerFlowing,
  type RoomClosedReason,
  type RtpCapabilities,
  type SfuHandlers,
} from '@visita/protocol';
import type { Logger } from './logger.ts';
import { mediaCodecs } from './mediaCodecs.ts';
import type { RtcListenConfig } from './rtcListen.ts';
import { Room, type MediaStreamRef } from './Room.ts';
import type { WorkerPool } from './WorkerPool.ts';

/**
 * Consumers a node takes per worker unless VISITA_SFU_MAX_CONSUMERS says otherwise. `make bench-sfu`
 * (docs/benchmarks.md) measured one worker on one core: 800 consumers and more under 1 % loss, 600
 * with the forwarding delay's p99 within 5 ms; 500 leaves headroom for the rest of the machine.
 */
export const DEFAULT_CONSUMERS_PER_WORKER = 500;
/**
 * Network tests (patients' pre-call checks) a node holds at once: each is a room with a transport
 * (a port of the RTC range) for at most PROBE_MAX_TTL_MS. Past it, NO_MEDIA_CAPACITY: a crowd of
 * tests cannot take the ports calls need.
 */
export const MAX_PROBES_PER_NODE = 64;

export interface SfuNodeEvents {
  roomClosed: [{ roomId: string; reason: RoomClosedReason }];
  consumerClosed: [{ roomId: string; peerId: string; consumerId: string }];
  producerFlowing: [ProducerFlowing & { waitedMs: number }];
  callAudioUp: [{ roomId: string; waitedMs: number }];
}

/**
 * The media side of one SFU node: rooms (one router each) on a worker pool, and the RPC methods
 * signaling calls. Knows nothing of sockets; ControlServer decodes and validates before calling.
 */
export class SfuNode extends EventEmitter<SfuNodeEvents> {
  readonly nodeId: string;
  readonly #pool: WorkerPool;
  readonly #rtc: RtcListenConfig;
  readonly #log: Logger;
  readonly #rooms = new Map<string, Room>();
  readonly #opening = new Map<string, Promise<Room>>();
  /** Rooms that are network tests (opened by `probe.open`, each closing itself). */
  readonly #probes = new Set<string>();
  /** Announced in the heartbeat: signaling places no new consultation here. */
  draining = false;
  /** The node's capacity, announced in the heartbeat (placement leaves a node a call would overfill). */
  maxConsumers: number;

  constructor(nodeId: string, pool: WorkerPool, rtc: RtcListenConfig, log: Logger) {
    super();
    this.nodeId = nodeId;
    this.#pool = pool;
    this.#rtc = rtc;
    this.#log = log;
    this.maxConsumers = DEFAULT_CONSUMERS_PER_WORKER * Math.max(1, pool.workers.length);
  }

  get roomIds(): string[] {
    return [...this.#rooms.keys()];
  }

  status(): NodeStatus {
    let consumers = 0;
    let transports = 0;
    let producers = 0;
    const perWorker = new Map(this.#pool.workers.map((w) => [w, { pid: w.pid, rooms: 0, consumers: 0 }]));
    for (const [id, r] of this.#rooms) {
      consumers += r.consumerCount;
      const m = r.mediaCounts;
      transports += m.transports;
      producers += m.producers;
      const share = perWorker.get(this.#pool.workerOf(r.router) as never);
      if (share) {
        share.consumers += r.consumerCount;
        if (!this.#probes.has(id)) share.rooms++;
      }
    }
    let probes = 0;
    for (const id of this.#probes) if (this.#rooms.has(id)) probes++;
    return {
      nodeId: this.nodeId,
      workers: this.#pool.workers.length,
      rooms: this.#rooms.size - probes,
      probes,
      perWorker: [...perWorker.values()],
      transports,
      producers,
      consumers,
    };
  }

  readonly handlers: SfuHandlers = {
    'room.open': async ({ roomId, peerId, decoders }) => {
      const existing = this.#rooms.get(roomId);
      const room = existing ?? (await this.#open(roomId));
      if (peerId !== undefined && decoders !== undefined) room.declareDecoders(peerId, decoders);
      return {
        rtpCapabilities: room.router.rtpCapabilities as RtpCapabilities,
        created: !existing,
        decoders: room.decoders(),
      };
    },
    'room.close': async ({ roomId }) => {
      const room = this.#rooms.get(roomId);
      room?.close();
      return { closed: Boolean(room) };
    },
    'room.get': async ({ roomId }) => this.#room(roomId).summary(),
    'peer.close': async ({ roomId, peerId }) => ({ closed: this.#room(roomId).closePeer(peerId) }),
    'transport.create': async ({ roomId, peerId, direction }) => this.#room(roomId).createTransport(peerId, direction),
    'transport.connect': async (p) => {
      await this.#room(p.roomId).connectTransport(p);
      return { connected: true };
    },
    'transport.restartIce': async ({ roomId, peerId, transportId }) => ({
      iceParameters: await this.#room(roomId).restartIce(peerId, transportId),
    }),
    'producer.create': async (p) => ({ producerId: await this.#room(p.roomId).produce(p) }),
    'producer.setPaused': async ({ roomId, peerId, producerId, paused }) => {
      await this.#room(roomId).setProducerPaused(peerId, producerId, paused);
      return { paused };
    },
    'consumer.create': async (p) => this.#room(p.roomId).consume(p),
    'consumer.resume': async ({ roomId, peerId, consumerId }) => {
      await this.#room(roomId).resumeConsumer(peerId, consumerId);
      return { resumed: true };
    },
    'node.status': async () => this.status(),
    'probe.open': async ({ roomId, ttlMs }) => {
      if (this.draining) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'this media server is draining');
      if (this.#probes.has(roomId) || this.#rooms.has(roomId) || this.#opening.has(roomId))
        throw new VisitaError(ErrorCode.INVALID_STATE, 'this room exists already');
      if (this.#probes.size >= MAX_PROBES_PER_NODE)
        throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'too many network tests on this media server; retry soon');
      this.#probes.add(roomId);
      let room: Room;
      try {
        room = await this.#open(roomId, { probe: true });
      } catch (e) {
        this.#probes.delete(roomId);
        throw e;
      }
      const expiry = setTimeout(() => room.close(), ttlMs);
      expiry.unref();
      room.once('closed', () => {
        clearTimeout(expiry);
        this.#probes.delete(roomId);
      });
      return { rtpCapabilities: room.router.rtpCapabilities as RtpCapabilities };
    },
  };

  close(reason: RoomClosedReason = 'closed'): void {
    for (const room of [...this.#rooms.values()]) room.close(reason);
  }

  /**
   * Drains the node: announced at once (`draining`: no new placements), the calls in progress run
   * to their end; those still open after `maxMs` are closed as `drained`, which signaling answers
   * by placing each again on another node (both sides rebuild). Resolves when no room is left.
   */
  async drain(maxMs: number, announce: () => Promise<void>, pollMs = 250): Promise<'empty' | 'moved'> {
    this.draining = true;
    // Network tests are not calls: they end now rather than hold the drain.
    for (const id of this.#probes) this.#rooms.get(id)?.close();
    await announce();
    const deadline = Date.now() + maxMs;
    while (this.#rooms.size > 0 || this.#opening.size > 0) {
      if (Date.now() >= deadline) {
        this.#log.warn({ rooms: this.#rooms.size }, 'drain time over: the remaining calls are moved');
        this.close('drained');
        return 'moved';
      }
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
    }
    return 'empty';
  }

  /** Every producer and consumer on this node. */
  *streams(): Generator<MediaStreamRef> {
    for (const room of this.#rooms.values()) yield* room.streams();
  }

  #room(roomId: string): Room {
    const room = this.#rooms.get(roomId);
    if (!room) throw new VisitaError(ErrorCode.NOT_FOUND, 'no such room on this node');
    return room;
  }

  /** Concurrent opens of one room share one router. */
  #open(roomId: string, { probe = false } = {}): Promise<Room> {
    const pending = this.#opening.get(roomId);
    if (pending) return pending;
    const p = (async () => {
      const router = await this.#pool.createRouter(mediaCodecs);
      const room = new Room(roomId, router, this.#rtc);
      this.#rooms.set(roomId, room);
      const log = this.#log.child({ roomId });
      if (probe) {
        // A network test: nobody to tell when it closes (no call is lost with it).
        room.once('closed', () => this.#rooms.delete(roomId));
        return room;
      }
      log.info('room opened');
      room.on('consumerClosed', (e) => this.emit('consumerClosed', { roomId, ...e }));
      room.on('producerFlowing', (e) => this.emit('producerFlowing', { roomId, ...e }));
      room.once('callAudioUp', (e) => this.emit('callAudioUp', { roomId, ...e }));
      room.once('closed', (reason) => {
        this.#rooms.delete(roomId);
        log.info({ reason }, 'room closed');
        this.emit('roomClosed', { roomId, reason });
      });
      return room;
    })().finally(() => this.#opening.delete(roomId));
    this.#opening.set(roomId, p);
    return p;
  }
}
