import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ErrorCode, fail } from '@visita/protocol';
import { ClientLimits, type ClientLimitsOptions } from './ClientLimits.ts';
import { checkHost, defaultHosts } from './hostCheck.ts';
import { boundedLog, errorName, jsonLog, type Log } from './log.ts';
import { sendJson, sendRawJson } from './replies.ts';
import { routeRequest, type Route } from './requestTarget.ts';
import { securityHeaders } from './securityHeaders.ts';
import { SignalingProxy } from './SignalingProxy.ts';
import { loadStaticFiles, serveStatic } from './staticFiles.ts';
import { tlsOptions } from './tlsOptions.ts';

const DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Anyone can reach this port, as fast as they like: every wait and size is bounded. */
const LIMITS = {
  /** Request line and headers, in bytes. */
  maxHeaderSize: 16 * 1024,
  maxHeadersCount: 100,
  /**
   * To receive the headers, and the whole request (bodies are small; a proxied body must also be
   * complete within the proxy's BODY_TIMEOUT_MS of its headers, 10 s).
   */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  /** How often Node checks those two (its default, 30 s, let a slow request live up to a minute). */
  timeoutCheckMs: 1_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
} as const;

/**
 * Per client address (the TCP peer). Connections: a browser keeps up to 6 HTTP/1.1 connections to
 * an origin plus its WebSocket, so 128 lets a few dozen people share one address (a practice's or a
 * carrier's NAT); beyond it the address's oldest connection not being answered is closed (see
 * ClientLimits), so stalled ones never lock out a ready request. Requests: API requests last
 * milliseconds once their body is in; polls only when WebSocket is blocked, one per person.
 */
export const CLIENT_LIMITS: ClientLimitsOptions = { connections: 128, requests: 32, polls: 64 };

export interface WebServerOptions {
  host: string;
  port: number;
  /** Where /socket.io, /api and /healthz are proxied (the signaling instance), e.g. http://127.0.0.1:4000. */
  signalingUrl: string;
  tls?: { certFile: string; keyFile: string };
  /** The built client (default: this package's dist/). */
  distDir?: string;
  /**
   * The host names and addresses the server answers to (Host header; port ignored); anything else
   * gets 421. Default: `defaultHosts(host)` (localhost, loopback, the listening address or, on
   * 0.0.0.0, every address of this machine).
   */
  hosts?: readonly string[];
  /** Per client address (default CLIENT_LIMITS). */
  clientLimits?: Partial<ClientLimitsOptions>;
  /** Default: JSON lines on stdout. */
  log?: Log;
}

/**
 * Serves the built web client (dist/) and proxies Socket.IO, the API and the health check to
 * signaling, so the browser talks to one origin with one certificate (a phone accepts one
 * self-signed warning). Every response carries the security headers; nothing else of signaling
 * (its /metrics) is reachable through this port.
 */
export async function startWebServer(o: WebServerOptions): Promise<{ url: string; close: () => Promise<void> }> {
  // A stranger's refused requests must not fill the disk: 50 lines of one message per 10 s at most.
  const log = boundedLog(o.log ?? jsonLog, { perWindow: 50, windowMs: 10_000 });
  const files = loadStaticFiles(o.distDir ?? DIST_DIR);
  const headers = securityHeaders(o.tls !== undefined);
  const hosts = defaultHosts(o.host, o.hosts);
  const clients = new ClientLimits({ ...CLIENT_LIMITS, ...o.clientLimits });
  const proxy = new SignalingProxy({
    signalingUrl: o.signalingUrl,
    proto: o.tls ? 'https' : 'http',
    securityHeaders: headers,
    clients,
    log,
  });

  const serverOptions: ServerOptions = {
    maxHeaderSize: LIMITS.maxHeaderSize,
    headersTimeout: LIMITS.headersTimeoutMs,
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: LIMITS.timeoutCheckMs,
  };
  const server: Server = o.tls
    ? createHttpsServer({ ...serverOptions, ...tlsOptions(o.tls) })
    : createHttpServer(serverOptions);
  server.maxHeadersCount = LIMITS.maxHeadersCount;
  server.keepAliveTimeout = LIMITS.keepAliveTimeoutMs;
  // The TCP connection, before TLS: over its address's cap it is closed before any handshake.
  server.on('connection', (socket: Socket) => {
    if (!clients.admit(socket)) log('warn', 'connection refused: too many from this address');
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader('x-request-id', requestId);
    try {
      const host = checkHost(req.headers.host, hosts);
      if (!host.ok) {
        log('warn', 'host refused', { requestId, reason: host.reason });
        const code = host.status === 400 ? ErrorCode.BAD_REQUEST : ErrorCode.NOT_FOUND;
        return sendJson(res, host.status, fail(code, host.reason), { connection: 'close' });
      }
      const route = routeRequest(req.url ?? '');
      switch (route.kind) {
        case 'signaling':
          return proxy.forward(req, res, route.target, requestId);
        case 'static':
          res.once('close', clients.answering(req.socket));
          return serveStatic(files, req, res, route.path);
        case 'refused':
          return refuse(res, route, requestId, log);
        default:
          return assertNever(route);
      }
    } catch (e) {
      log('error', 'request failed', { requestId, err: errorName(e) });
      if (!res.headersSent) sendJson(res, 500, fail(ErrorCode.INTERNAL, 'internal error'));
      else res.destroy();
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = randomUUID();
    // Node drops its own error listener from an upgraded socket: one is needed before anything else.
    socket.on('error', () => socket.destroy());
    try {
      const host = checkHost(req.headers.host, hosts);
      if (!host.ok) {
        log('warn', 'host refused', { requestId, reason: host.reason });
        const code = host.status === 400 ? ErrorCode.BAD_REQUEST : ErrorCode.NOT_FOUND;
        return sendRawJson(socket, host.status, fail(code, host.reason), headers);
      }
      const route = routeRequest(req.url ?? '');
      // Always a net.Socket (a tls.TLSSocket over HTTPS) on a node:http(s) server.
      if (route.kind === 'signaling' && route.target.startsWith('/socket.io/'))
        return proxy.upgrade(req, socket as Socket, head, route.target, requestId);
      const reason = route.kind === 'refused' ? route.reason : 'not a Socket.IO path';
      log('warn', 'upgrade refused', { requestId, reason });
      if (route.kind === 'refused' && route.status === 400)
        sendRawJson(socket, 400, fail(ErrorCode.BAD_REQUEST, reason), headers);
      else sendRawJson(socket, 404, fail(ErrorCode.NOT_FOUND, 'no WebSocket here'), headers);
    } catch (e) {
      log('error', 'upgrade failed', { requestId, err: errorName(e) });
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log('error', 'server error', { err: errorName(e) }));

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `${o.tls ? 'https' : 'http'}://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        proxy.close();
      })),
  };
}

function refuse(res: ServerResponse, route: Extract<Route, { kind: 'refused' }>, requestId: string, log: Log): void {
  if (route.status === 400) log('warn', 'request target refused', { requestId, reason: route.reason });
  const code = route.status === 400 ? ErrorCode.BAD_REQUEST : ErrorCode.NOT_FOUND;
  sendJson(res, route.status, fail(code, route.status === 400 ? route.reason : 'not found'));
}

function assertNever(x: never): never {
  throw new Error(`unexpected route ${JSON.stringify(x)}`);
}
