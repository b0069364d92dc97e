import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import {
  ErrorCode,
  PROTOCOL_VERSION,
  VisitaError,
  unwrap,
  type Ack,
  type RoomClosedReason,
  type SfuCall,
  type SfuResult,
  type SfuMethod,
  type SfuRequest,
  type SfuResponses,
  type SfuToSignalingEvents,
  type SignalingToSfuEvents,
} from '@visita/protocol';

export const SFU_RPC_TIMEOUT_MS = 10_000;

export interface SfuClientEvents {
  roomClosed: [{ roomId: string; reason: RoomClosedReason }];
  consumerClosed: [{ roomId: string; peerId: string; consumerId: string }];
}

/** The persistent, authenticated control connection from this signaling instance to one SFU node. */
export class SfuClient extends EventEmitter<SfuClientEvents> {
  readonly nodeId: string;
  readonly #socket: Socket<SfuToSignalingEvents, SignalingToSfuEvents>;

  constructor(nodeId: string, controlUrl: string, token: () => string) {
    super();
    this.nodeId = nodeId;
    this.#socket = io(controlUrl, {
      transports: ['websocket'],
      // A fresh short-lived token on every (re)connection.
      auth: (cb) => cb({ token: token(), protocolVersion: PROTOCOL_VERSION }),
      reconnectionDelayMax: 2_000,
    });
    this.#socket.on('room.closed', (e) => this.emit('roomClosed', e));
    this.#socket.on('consumer.closed', (e) => this.emit('consumerClosed', e));
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  async call<M extends SfuMethod>(method: M, params: SfuRequest<M>): Promise<SfuResponses[M]> {
    const call = { method, params } as SfuCall; // M's params, so M's member of the union
    let result: Ack<SfuResult>;
    try {
      result = await this.#socket.timeout(SFU_RPC_TIMEOUT_MS).emitWithAck('rpc', call);
    } catch {
      throw new VisitaError(ErrorCode.TIMEOUT, `media server did not answer ${method}`);
    }
    // The node is authenticated (signed record, control token naming it); its answer to method M
    // is M's result and is not validated again.
    return unwrap(result) as SfuResponses[M];
  }

  close(): void {
    this.#socket.close();
  }
}
