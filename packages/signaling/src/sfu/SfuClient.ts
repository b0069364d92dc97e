import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import {
  ErrorCode,
  PROTOCOL_VERSION,
  ProducerFlowing,
  VisitaError,
  sfuCall,
  unwrap,
  type Ack,
  type RoomClosedReason,
  type SfuResult,
  type SfuMethod,
  type SfuRequest,
  type SfuResponses,
  type SfuToSignalingEvents,
  type SignalingToSfuEvents,
} from '@visita/protocol';

export const SFU_RPC_TIMEOUT_MS = 10_000;
/**
 * A node whose control connection closed and did not come back within this long is lost (its
 * process died, or its machine): the connection retries every 100-200 ms meanwhile, so a node that
 * only blinked (a restart of the connection) is not taken for dead.
 */
export const SFU_LOSS_MS = 600;

export interface SfuClientEvents {
  roomClosed: [{ roomId: string; reason: RoomClosedReason }];
  consumerClosed: [{ roomId: string; peerId: string; consumerId: string }];
  /** A producer's first RTP packet reached the node (`at` on the node's clock). */
  producerFlowing: [ProducerFlowing & { nodeId: string }];
  /** The control connection is up (first time or again): events sent while it was down were missed. */
  connected: [{ nodeId: string }];
  /** The control connection closed and stayed closed for SFU_LOSS_MS. */
  nodeLost: [{ nodeId: string }];
}

/** The persistent, authenticated control connection from this signaling instance to one SFU node. */
export class SfuClient extends EventEmitter<SfuClientEvents> {
  readonly nodeId: string;
  readonly #socket: Socket<SfuToSignalingEvents, SignalingToSfuEvents>;
  #lossTimer: NodeJS.Timeout | undefined;
  #open = true;
  #down = false;

  constructor(nodeId: string, controlUrl: string, token: () => string) {
    super();
    this.nodeId = nodeId;
    this.#socket = io(controlUrl, {
      transports: ['websocket'],
      // A fresh short-lived token on every (re)connection.
      auth: (cb) => cb({ token: token(), protocolVersion: PROTOCOL_VERSION }),
      reconnectionDelay: 100,
      reconnectionDelayMax: 2_000,
    });
    this.#socket.on('room.closed', (e) => this.emit('roomClosed', e));
    this.#socket.on('consumer.closed', (e) => this.emit('consumerClosed', e));
    this.#socket.on('producer.flowing', (raw) => {
      const e = ProducerFlowing.safeParse(raw);
      if (e.success) this.emit('producerFlowing', { ...e.data, nodeId });
    });
    // Noticed from the connection itself, not from the node's record expiring (6 s).
    this.#socket.on('disconnect', () => {
      this.#down = true;
      clearTimeout(this.#lossTimer);
      this.#lossTimer = setTimeout(() => {
        if (!this.#socket.connected && this.#open) this.emit('nodeLost', { nodeId });
      }, SFU_LOSS_MS);
    });
    this.#socket.on('connect', () => {
      this.#down = false;
      clearTimeout(this.#lossTimer);
      this.emit('connected', { nodeId });
    });
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  /** The connection was up and dropped, and is not back yet (a new client that is still connecting is not down). */
  get down(): boolean {
    return this.#down;
  }

  async call<M extends SfuMethod>(method: M, params: SfuRequest<M>): Promise<SfuResponses[M]> {
    let result: Ack<SfuResult>;
    try {
      result = await this.#socket.timeout(SFU_RPC_TIMEOUT_MS).emitWithAck('rpc', sfuCall(method, params));
    } catch {
      throw new VisitaError(ErrorCode.TIMEOUT, `media server did not answer ${method}`);
    }
    // Unchecked cast: the node is authenticated (signed record, control token), so M's answer is not re-validated.
    return unwrap(result) as SfuResponses[M];
  }

  close(): void {
    this.#open = false;
    clearTimeout(this.#lossTimer);
    this.#socket.close();
  }
}
