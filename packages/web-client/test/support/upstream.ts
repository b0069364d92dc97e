import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// socket.io is a dependency of signaling, not of the web client: the stand-in borrows it from there.
import { Server as IoServer } from '../../../signaling/node_modules/socket.io/dist/index.js';

/**
 * A stand-in for signaling behind the web server: a real Socket.IO server and a few HTTP routes on
 * one HTTP server. It resolves paths as leniently as a WHATWG URL parser does (`/api/../metrics`,
 * `/api/%2e%2e/metrics` and `/api\..\metrics` are all /metrics to it), so a target the proxy
 * lets through unresolved shows up as a hit on /metrics.
 */
export class Upstream {
  readonly io: IoServer;
  readonly url: string;
  /** Raw targets of the HTTP requests that reached the routes below (Socket.IO's are its own). */
  readonly targets: string[] = [];
  metricsHits = 0;
  /** The largest request body /api/echo-body received. */
  largestBody = 0;
  /** Requests to /api/hold, unanswered until releaseHeld(). */
  readonly held: ServerResponse[] = [];
  readonly #close: () => Promise<void>;

  private constructor(io: IoServer, url: string, close: () => Promise<void>) {
    this.io = io;
    this.url = url;
    this.#close = close;
  }

  static async start(): Promise<Upstream> {
    let upstream: Upstream | undefined;
    const http = createServer((req, res) => upstream?.handle(req, res));
    // Same settings as signaling's socketServer.ts where they matter to a proxy.
    const io = new IoServer(http, {
      pingInterval: 10_000,
      pingTimeout: 10_000,
      maxHttpBufferSize: 64 * 1024,
      perMessageDeflate: false,
    });
    io.on('connection', (socket) => {
      socket.on('echo', (value: unknown, ack: (answer: unknown) => void) =>
        ack({ value, forwardedFor: socket.handshake.headers['x-forwarded-for'] }),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const close = () =>
      new Promise<void>((resolve) => {
        void io.close(() => resolve());
        http.closeAllConnections();
      });
    upstream = new Upstream(io, `http://127.0.0.1:${port}`, close);
    return upstream;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    this.targets.push(target);
    const path = new URL(target, 'http://upstream').pathname;
    const json = (status: number, value: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-powered-by': 'Express' })
        .end(JSON.stringify(value));
    };
    switch (path) {
      case '/metrics':
        this.metricsHits++;
        return void res.end('visita_connected_sockets 0\n');
      case '/healthz':
        return json(200, { ok: true });
      case '/api/echo-headers':
        return json(200, { ok: true, data: { headers: req.headers } });
      case '/api/hold':
        return void this.held.push(res);
      case '/api/echo-body': {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => (bytes += chunk.length));
        req.on('end', () => {
          this.largestBody = Math.max(this.largestBody, bytes);
          json(200, { ok: true, data: { bytes } });
        });
        return;
      }
      default:
        return json(404, { ok: false, code: 'NOT_FOUND', message: 'not found' });
    }
  }

  /** Answers every request /api/hold holds. */
  releaseHeld(): void {
    for (const res of this.held.splice(0))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }

  close(): Promise<void> {
    return this.#close();
  }
}
