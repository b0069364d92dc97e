import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { ErrorCode, fail } from '@visita/protocol';
import { clientAddress, type ClientLimits, type UpstreamUse } from './ClientLimits.ts';
import { errorName, type Log } from './log.ts';
import { readBody } from './requestBody.ts';
import { responseHead, sendJson, sendRawJson } from './replies.ts';

/** The API's bodies and Socket.IO's polling payloads (signaling's maxHttpBufferSize) fit in this. */
export const MAX_BODY_BYTES = 64 * 1024;
/** How long a client may take to send a proxied request's body, from its headers. */
export const BODY_TIMEOUT_MS = 10_000;
/** How long a proxied API request may wait for signaling. */
const UPSTREAM_TIMEOUT_MS = 30_000;
/** How long a long-poll may wait for signaling (it waits one pingInterval, 10 s). */
const POLL_TIMEOUT_MS = 60_000;
/** A WebSocket tunnel with no traffic either way for this long is released (Socket.IO pings every 10 s). */
const TUNNEL_IDLE_MS = 60_000;
/**
 * Upstream connections for API requests, and for Socket.IO's polling requests: two pools, so
 * long-polls never take what a login needs (the WebSocket tunnels have connections of their own).
 * Bodies are complete before a connection is taken, so an API request holds one for milliseconds.
 */
const MAX_API_SOCKETS = 256;
const MAX_POLL_SOCKETS = 512;

/** Headers about one connection, not the request: never passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
];
/** Claims about the client or this hop: only this server makes them, from the TCP peer. */
const FORWARDING = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'x-request-id',
];
/** Socket errors of a peer going away: routine (a browser leaving a page), not worth a log line. */
const ROUTINE_SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

export interface SignalingProxyOptions {
  /** Where signaling listens (internal, plain HTTP), e.g. http://127.0.0.1:4000. */
  signalingUrl: string;
  /** The scheme the browser used, passed on as X-Forwarded-Proto. */
  proto: 'http' | 'https';
  /** On every answer; signaling's own values for these names are dropped. */
  securityHeaders: Readonly<Record<string, string>>;
  /** Each client address's budget of requests to signaling, and which connections are answering. */
  clients: ClientLimits;
  log: Log;
}

/**
 * The reverse proxy to signaling, for HTTP requests and WebSocket upgrades. It owns every socket
 * it opens or takes over: each is released when either side closes, ends, fails or goes idle, and
 * `close()` releases whatever is left. Only the peer address of the TCP connection is forwarded.
 */
export class SignalingProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #o: SignalingProxyOptions;
  readonly #apiAgent = new Agent({ keepAlive: true, maxSockets: MAX_API_SOCKETS });
  readonly #pollAgent = new Agent({ keepAlive: true, maxSockets: MAX_POLL_SOCKETS });
  readonly #tunnelSockets = new Set<Duplex>();

  constructor(o: SignalingProxyOptions) {
    const url = new URL(o.signalingUrl);
    if (url.protocol !== 'http:') throw new Error(`the signaling URL must be http: (got ${url.protocol})`);
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(url.port || 80);
    this.#o = o;
  }

  /**
   * Proxies one HTTP request to `target` (already normalised by routeRequest). Its body is received
   * whole first (at most MAX_BODY_BYTES within BODY_TIMEOUT_MS); only then does it take one of its
   * client's upstream requests and a connection of its pool: API requests and Socket.IO's
   * long-polls have a pool each, so polls waiting a ping interval never hold what a login needs.
   */
  forward(req: IncomingMessage, res: ServerResponse, target: string, requestId: string): void {
    const peer = peerAddress(req);
    if (!peer) return void res.destroy();
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return refuseBody(res);
    const answer = readBody(req, MAX_BODY_BYTES, BODY_TIMEOUT_MS).then((received) => {
      switch (received.kind) {
        case 'body':
          return this.#send(req, res, target, requestId, peer, received.body);
        case 'tooLarge':
          return refuseBody(res);
        case 'timeout':
          this.#o.log('warn', 'request body timed out', { requestId });
          if (!res.headersSent)
            sendJson(res, 408, fail(ErrorCode.TIMEOUT, 'request body not received in time'), { connection: 'close' });
          return;
        case 'aborted':
          return void res.destroy();
        default:
          return assertNever(received);
      }
    });
    // Past the request handler's try: a failure here is answered (or the request dropped), never thrown.
    answer.catch((e: unknown) => {
      this.#o.log('error', 'request failed', { requestId, err: errorName(e) });
      if (!res.headersSent) sendJson(res, 500, fail(ErrorCode.INTERNAL, 'internal error'));
      else res.destroy();
    });
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    requestId: string,
    peer: string,
    body: Buffer,
  ): void {
    if (res.destroyed) return;
    const use: UpstreamUse = target.startsWith('/socket.io/') ? 'polls' : 'requests';
    const release = this.#o.clients.take(peer, use);
    if (!release) {
      this.#o.log('warn', 'client over its upstream budget', { requestId, use });
      return sendJson(res, 429, fail(ErrorCode.RATE_LIMITED, 'too many requests in progress from this address'), {
        'retry-after': '1',
      });
    }
    const doneAnswering = this.#o.clients.answering(req.socket);
    res.once('close', () => {
      release();
      doneAnswering();
    });
    const headers = this.#requestHeaders(req, peer, requestId);
    if (
      body.length > 0 ||
      req.headers['content-length'] !== undefined ||
      req.headers['transfer-encoding'] !== undefined
    )
      headers['content-length'] = body.length;
    const upstream = request({
      host: this.#host,
      port: this.#port,
      method: req.method,
      path: target,
      headers,
      agent: use === 'polls' ? this.#pollAgent : this.#apiAgent,
    });
    let timedOut = false;
    let clientGone = false;
    upstream.setTimeout(use === 'polls' ? POLL_TIMEOUT_MS : UPSTREAM_TIMEOUT_MS, () => {
      timedOut = true;
      upstream.destroy(new Error('signaling did not answer in time'));
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, this.#answerHeaders(answer.headers));
      // Either side failing (a client gone mid-answer) destroys both: nothing to report.
      pipeline(answer, res, () => undefined);
    });
    upstream.on('error', (e) => {
      if (res.writableEnded || clientGone) return; // nobody to answer
      this.#o.log('error', 'signaling request failed', { requestId, err: errorName(e) });
      if (res.headersSent) return void res.destroy();
      if (timedOut) sendJson(res, 504, fail(ErrorCode.TIMEOUT, 'signaling timed out'));
      else sendJson(res, 502, fail(ErrorCode.INTERNAL, 'signaling unavailable'));
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    upstream.end(body);
  }

  /** Proxies one WebSocket upgrade to `target`, then joins the two sockets. */
  upgrade(req: IncomingMessage, client: Socket, head: Buffer, target: string, requestId: string): void {
    this.#own(client, requestId);
    client.once('close', this.#o.clients.answering(client));
    client.setTimeout(TUNNEL_IDLE_MS, () => client.destroy());
    const peer = peerAddress(req);
    if (!peer) return void client.destroy();
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      return sendRawJson(
        client,
        400,
        fail(ErrorCode.BAD_REQUEST, 'only WebSocket upgrades are proxied'),
        this.#o.securityHeaders,
      );
    }
    const headers = { ...this.#requestHeaders(req, peer, requestId), connection: 'Upgrade', upgrade: 'websocket' };
    const upstream = request({ host: this.#host, port: this.#port, path: target, headers, agent: false });
    client.once('close', () => upstream.destroy());
    upstream.on('upgrade', (answer, socket, upstreamHead) => {
      this.#own(socket, requestId);
      if (client.destroyed) return void socket.destroy();
      client.write(
        responseHead(101, { ...this.#answerHeaders(answer.headers), connection: 'Upgrade', upgrade: 'websocket' }),
      );
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) socket.write(head);
      splice(client, socket);
    });
    upstream.on('response', (answer) => {
      // Signaling refused the upgrade (say, an unknown session id): its answer goes back as is.
      client.write(
        responseHead(answer.statusCode ?? 502, { ...this.#answerHeaders(answer.headers), connection: 'close' }),
      );
      pipeline(answer, client, () => client.destroy());
    });
    upstream.on('error', (e) => {
      if (client.destroyed) return;
      this.#o.log('error', 'signaling upgrade failed', { requestId, err: errorName(e) });
      sendRawJson(client, 502, fail(ErrorCode.INTERNAL, 'signaling unavailable'), this.#o.securityHeaders);
    });
    upstream.end();
  }

  /** Releases every tunnel and pooled upstream connection. Idempotent. */
  close(): void {
    for (const socket of this.#tunnelSockets) socket.destroy();
    this.#apiAgent.destroy();
    this.#pollAgent.destroy();
  }

  /** A socket of a tunnel: tracked until it closes; its errors are logged, never thrown. */
  #own(socket: Duplex, requestId: string): void {
    this.#tunnelSockets.add(socket);
    socket.once('close', () => this.#tunnelSockets.delete(socket));
    socket.on('error', (e) => {
      if (!ROUTINE_SOCKET_ERRORS.has(errorName(e)))
        this.#o.log('warn', 'websocket tunnel error', { requestId, err: errorName(e) });
    });
  }

  #requestHeaders(req: IncomingMessage, peer: string, requestId: string): OutgoingHttpHeaders {
    const dropped = new Set([...HOP_BY_HOP, ...FORWARDING, ...listedIn(req.headers.connection)]);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !dropped.has(name)) headers[name] = value;
    return { ...headers, 'x-forwarded-for': peer, 'x-forwarded-proto': this.#o.proto, 'x-request-id': requestId };
  }

  #answerHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
    const dropped = new Set([
      ...HOP_BY_HOP,
      ...listedIn(upstream.connection),
      'x-powered-by',
      ...Object.keys(this.#o.securityHeaders),
    ]);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstream))
      if (value !== undefined && !dropped.has(name)) headers[name] = value;
    return { ...headers, ...this.#o.securityHeaders };
  }
}

/**
 * Joins two sockets both ways. When either closes, fails or idles out both are destroyed; when
 * either ends, the end is passed on once what is pending is written, and then both are destroyed
 * (a half-open tunnel is never kept: that is how descriptors leaked).
 */
function splice(a: Socket, b: Socket): void {
  const release = () => {
    a.destroy();
    b.destroy();
  };
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    from.on('close', release);
    from.on('end', () => to.end(release));
    from.setTimeout(TUNNEL_IDLE_MS, release);
    from.pipe(to, { end: false });
  }
}

/** The TCP peer of the request, as an IPv4 address when it is one. */
const peerAddress = (req: IncomingMessage): string | undefined => clientAddress(req.socket);

/** The header names a Connection header lists (hop-by-hop by declaration). */
const listedIn = (connection: string | undefined): string[] =>
  (connection ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);

function refuseBody(res: ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  sendJson(res, 413, fail(ErrorCode.BAD_REQUEST, `request body larger than ${MAX_BODY_BYTES} bytes`), {
    connection: 'close',
  });
}

function assertNever(x: never): never {
  throw new Error(`unexpected body result ${JSON.stringify(x)}`);
}
