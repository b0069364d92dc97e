import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Server, type Socket } from 'socket.io';
import {
  ErrorCode,
  HandshakeAuth,
  PROTOCOL_VERSION,
  SFU_CONTROL_TOKEN_TTL_S,
  SfuControlClaims,
  TOKEN_ISSUER,
  VisitaError,
  dispatchSfuCall,
  fail,
  ok,
  parseSfuCall,
  sfuControlAudience,
  sfuControlDatesProblem,
  type SfuToSignalingEvents,
  type SignalingToSfuEvents,
} from '@visita/protocol';
import type { Logger } from './logger.ts';
import type { SfuNode } from './SfuNode.ts';

/** How long close() waits for connections to end by themselves. */
const CLOSE_WAIT_MS = 1_000;
/** Seconds of clock difference tolerated between signaling and this node when checking a token's dates. */
const CLOCK_TOLERANCE_S = 5;

/**
 * The node's control port: signaling instances connect with a short-lived SfuControl token
 * (HS256, shared secret, audience naming this node, dated and expiring within
 * SFU_CONTROL_TOKEN_TTL_S) and call the typed RPC. Node events are pushed to every connection.
 */
export class ControlServer {
  readonly #http: HttpServer;
  readonly #io: Server<SignalingToSfuEvents, SfuToSignalingEvents>;

  constructor(node: SfuNode, secret: string, log: Logger) {
    this.#http = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    this.#io = new Server(this.#http, { serveClient: false, pingInterval: 5_000, pingTimeout: 5_000 });
    this.#io.use((socket, next) => {
      const auth = HandshakeAuth.safeParse(socket.handshake.auth);
      if (!auth.success) return next(handshakeError(ErrorCode.UNAUTHENTICATED, 'missing token'));
      if (auth.data.protocolVersion !== PROTOCOL_VERSION) {
        return next(handshakeError(ErrorCode.PROTOCOL_MISMATCH, `protocol ${PROTOCOL_VERSION} required`));
      }
      try {
        // A token made for another node (sent to a listener that passed for it) opens nothing here;
        // one without iat/exp or older than its lifetime is refused (SfuControlClaims, maxAge), and
        // so is one dated ahead or made to live longer than a control token (sfuControlDatesProblem).
        const claims = SfuControlClaims.parse(
          jwt.verify(auth.data.token, secret, {
            algorithms: ['HS256'],
            issuer: TOKEN_ISSUER,
            audience: sfuControlAudience(node.nodeId),
            maxAge: SFU_CONTROL_TOKEN_TTL_S,
            clockTolerance: CLOCK_TOLERANCE_S,
          }),
        );
        const problem = sfuControlDatesProblem(claims, Math.floor(Date.now() / 1000));
        if (problem) {
          log.warn({ problem }, 'control token refused');
          return next(handshakeError(ErrorCode.UNAUTHENTICATED, 'invalid control token'));
        }
        socket.data.caller = claims.sub;
        next();
      } catch {
        next(handshakeError(ErrorCode.UNAUTHENTICATED, 'invalid control token'));
      }
    });
    this.#io.on('connection', (socket) => {
      log.info({ caller: socket.data.caller }, 'signaling connected');
      socket.on('rpc', (envelope, ack) => void this.#dispatch(node, log, socket, envelope, ack));
    });
    node.on('roomClosed', (e) => this.#io.emit('room.closed', e));
    node.on('consumerClosed', (e) => this.#io.emit('consumer.closed', e));
    node.on('producerFlowing', ({ roomId, peerId, producerId, kind, at }) =>
      this.#io.emit('producer.flowing', { roomId, peerId, producerId, kind, at }),
    );
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    return (this.#http.address() as AddressInfo).port;
  }

  /**
   * Closes every control connection and the port. A signaling instance reconnects within 100 ms,
   * and a connection accepted while the server closes would keep it open forever: whatever is
   * still connected after CLOSE_WAIT_MS is cut.
   */
  async close(): Promise<void> {
    const closed = this.#io.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    this.#http.closeAllConnections();
  }

  async #dispatch(node: SfuNode, log: Logger, _socket: Socket, envelope: unknown, ack: RpcAck): Promise<void> {
    // The wire is typed, but a connection may send anything: the envelope is parsed, not trusted,
    // and a call sent without an acknowledgement callback is dropped.
    if (typeof ack !== 'function') return;
    const parsed = parseSfuCall(envelope);
    if (!parsed.ok) return ack(fail(ErrorCode.BAD_REQUEST, parsed.message));
    const { method } = parsed.call;
    try {
      ack(ok(await dispatchSfuCall(node.handlers, parsed.call)));
    } catch (error) {
      if (error instanceof VisitaError) return ack(fail(error.code, error.message));
      // mediasoup's own validation errors (TypeError, UnsupportedError, InvalidStateError).
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ method, err: message }, 'rpc failed');
      ack(fail(ErrorCode.MEDIA_ERROR, message.slice(0, 200)));
    }
  }
}

/** The acknowledgement callback of the `rpc` event, as the wire contract types it. */
type RpcAck = Parameters<SignalingToSfuEvents['rpc']>[1];

function handshakeError(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } });
}
