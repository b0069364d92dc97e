import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attack } from '../../signaling/test/support/attackLog.ts';
import { selfSignedCert } from '../e2e/support/browser.ts';
import { Upstream } from './support/upstream.ts';
import { eventually, send, WebProcess, type Answer } from './support/webProcess.ts';

// The web server (scripts/serve.ts, a real child process) in front of a stand-in for signaling
// with a real Socket.IO server. Needs the built client (pnpm --filter @visita/web-client build).
// It serves a copy of dist/ with what must never be served planted in and next to it.

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const SCRIPT = `/assets/${readdirSync(join(DIST, 'assets')).find((f) => f.endsWith('.js'))}`;
const SECRET = 'SECRET-NEVER-SERVED';

function plantedDist(): { root: string; dist: string } {
  const root = mkdtempSync(join(tmpdir(), 'visita-web-'));
  const dist = join(root, 'dist');
  cpSync(DIST, dist, { recursive: true });
  writeFileSync(join(root, 'outside.txt'), SECRET);
  writeFileSync(join(dist, `${SCRIPT}.map`), SECRET);
  writeFileSync(join(dist, '.env'), SECRET);
  writeFileSync(join(dist, 'assets', '.hidden.js'), SECRET);
  mkdirSync(join(dist, '.git'));
  writeFileSync(join(dist, '.git', 'config'), SECRET);
  return { root, dist };
}

const CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(self), microphone=(self), geolocation=()',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};
const HSTS = 'max-age=31536000; includeSubDomains';

let upstream: Upstream;
let web: WebProcess;
const planted = plantedDist();
beforeAll(async () => {
  upstream = await Upstream.start();
  web = await WebProcess.start({
    VISITA_SIGNALING_URL: upstream.url,
    VISITA_WEB_DIST: planted.dist,
    VISITA_WEB_HOSTS: 'clinic.example, Visita.Example.',
    VISITA_PUBLIC_URL: 'https://public.example:8443',
  });
});
afterAll(async () => {
  await web?.stop();
  await upstream?.close();
  rmSync(planted.root, { recursive: true, force: true });
});

/** A Socket.IO client through the web server; resolves once connected. */
function connect(
  url: string,
  transports: ('websocket' | 'polling')[],
  extraHeaders: Record<string, string> = {},
): Promise<Socket> {
  const socket = io(url, { transports, forceNew: true, reconnection: false, extraHeaders, rejectUnauthorized: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });
}

/**
 * A WebSocket upgrade request written by hand; resolves with the socket and the answer's status
 * once what came back satisfies `until` (default: the whole head of the answer).
 */
function rawUpgrade(
  port: number,
  target: string,
  until = (received: string) => received.includes('\r\n\r\n'),
): Promise<{ socket: NetSocket; status: number }> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    [
      `GET ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      '',
      '',
    ].join('\r\n'),
  );
  return new Promise((resolve, reject) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (until(received)) resolve({ socket, status: Number(received.slice(9, 12)) });
    });
    socket.once('close', () => reject(new Error(`closed after: ${JSON.stringify(received)}`)));
  });
}

/** A WebSocket to Socket.IO by hand, resolved once engine.io's open packet came through the tunnel. */
async function rawWebSocket(port: number): Promise<NetSocket> {
  const { socket, status } = await rawUpgrade(
    port,
    '/socket.io/?EIO=4&transport=websocket',
    (received) => received.includes('"sid"') || !received.startsWith('HTTP/1.1 101'),
  );
  if (status !== 101) throw new Error(`upgrade answered ${status}`);
  return socket;
}

/** Writes `request` on a connection of its own; resolves with everything answered once the server closes it. */
function rawExchange(port: number, request: string): Promise<string> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(request);
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.once('close', () => resolve(received));
  });
}

const json = (a: Answer) =>
  JSON.parse(a.body) as { ok: boolean; code?: string; message?: string; data?: Record<string, unknown> };

describe('web server: forwarded address', () => {
  it('sets X-Forwarded-For to the TCP peer and drops the client’s forwarding claims', async () => {
    const answer = await send(web.port, '/api/echo-headers', {
      headers: {
        'x-forwarded-for': '6.6.6.6',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      },
    });
    const seen = json(answer).data!['headers'] as Record<string, string | undefined>;
    const refused =
      seen['x-forwarded-for'] === '127.0.0.1' && !seen['forwarded'] && !seen['x-real-ip'] && !seen['x-forwarded-host'];
    attack(
      'web server: forwarded address',
      'X-Forwarded-For, Forwarded, X-Real-IP, X-Forwarded-Host from the client (HTTP)',
      refused,
    );
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['forwarded']).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
    expect(seen['x-forwarded-host']).toBeUndefined();
  });

  it('does the same for a Socket.IO WebSocket handshake', async () => {
    const socket = await connect(web.url, ['websocket'], { 'x-forwarded-for': '6.6.6.6' });
    const answer = await socket.emitWithAck('echo', 1);
    socket.close();
    attack(
      'web server: forwarded address',
      'X-Forwarded-For from the client (WebSocket handshake)',
      answer.forwardedFor === '127.0.0.1',
    );
    expect(answer).toEqual({ value: 1, forwardedFor: '127.0.0.1' });
  });
});

describe('web server: Host header', () => {
  it('answers only the names and addresses it serves: 421 for any other, 400 for none or a malformed one', async () => {
    const port = web.port;
    const served = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      'clinic.example', // VISITA_WEB_HOSTS
      'visita.example.:443',
      `public.example:8443`, // VISITA_PUBLIC_URL
    ];
    for (const host of served) {
      expect((await send(port, '/', { headers: { host } })).status, host).toBe(200);
      expect((await send(port, '/api/echo-headers', { headers: { host } })).status, host).toBe(200);
    }
    const reachedBefore = upstream.targets.length;
    const strangers: Array<[string, number]> = [
      ['evil.example', 421],
      [`evil.example:${port}`, 421],
      ['127.0.0.1.evil.example', 421],
      ['clinic.example.evil.example', 421],
      ['10.99.0.1', 421], // an address, but not one of this machine
      ['[::2]', 421],
      ['evil.example@127.0.0.1', 400],
      ['127.0.0.1 evil.example', 400],
      [`127.0.0.1:${port}/x`, 400],
    ];
    for (const [host, status] of strangers) {
      for (const target of ['/', '/c/abc123', SCRIPT, '/api/echo-headers', '/socket.io/?EIO=4&transport=polling']) {
        const answer = await send(port, target, { headers: { host } });
        const refused =
          answer.status === status &&
          json(answer).ok === false &&
          !answer.body.includes('<') &&
          !answer.body.includes(host);
        attack('web server: Host header', `Host: ${JSON.stringify(host)} ${target}`, refused);
        expect(answer.status, `${host} ${target}`).toBe(status);
        expect(answer.headers, host).toMatchObject(SECURITY_HEADERS);
        expect(json(answer), host).toMatchObject({ ok: false });
        expect(answer.body).not.toContain('<');
      }
    }
    // A WebSocket upgrade, and HTTP/1.0 without any Host (Node refuses HTTP/1.1 without one itself).
    const upgrade = await rawExchange(
      port,
      [
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
        'Host: evil.example',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        '',
        '',
      ].join('\r\n'),
    );
    const noHost = await rawExchange(port, 'GET /api/echo-headers HTTP/1.0\r\n\r\n');
    const emptyHost = await rawExchange(port, 'GET /api/echo-headers HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n');
    attack('web server: Host header', 'an empty Host', emptyHost.startsWith('HTTP/1.1 400'));
    expect(emptyHost).toMatch(/^HTTP\/1\.1 400 /);
    attack('web server: Host header', 'Host: "evil.example" WebSocket upgrade', upgrade.startsWith('HTTP/1.1 421'));
    attack('web server: Host header', 'HTTP/1.0 without Host', noHost.startsWith('HTTP/1.1 400'));
    expect(upgrade).toMatch(/^HTTP\/1\.1 421 /);
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
    expect(upstream.targets.slice(reachedBefore)).toEqual([]); // none reached signaling
  });
});

describe('web server: request targets', () => {
  it('never lets any spelling of a path reach signaling’s /metrics', async () => {
    // The stand-in resolves these as signaling's URL parsing would: sent straight, they hit /metrics.
    const upstreamPort = Number(new URL(upstream.url).port);
    for (const target of ['/api/../metrics', '/api/%2e%2e/metrics', '/api\\..\\metrics'])
      await send(upstreamPort, target);
    expect(upstream.metricsHits).toBe(3);
    upstream.metricsHits = 0;
    const reachedBefore = upstream.targets.length;

    const targets = [
      '/api/../metrics',
      '/api/%2e%2e/metrics',
      '/api/%2E%2E/metrics',
      '/api/.%2e/metrics',
      '/api/%2e./metrics',
      '/api\\..\\metrics',
      '/api/%5c..%5cmetrics',
      '/api%2f..%2fmetrics',
      '/api/%252e%252e/metrics',
      '/api//../metrics',
      '/socket.io/../metrics',
      '/healthz/../metrics',
      '/./metrics',
      '/metrics',
      '//metrics',
      '/metrics?x=1',
      '/metrics/',
      `http://127.0.0.1:${upstreamPort}/metrics`,
      `http://127.0.0.1:${web.port}/metrics`,
      `http://127.0.0.1:${web.port}/api/../metrics`,
      '*',
    ];
    for (const target of targets) {
      const hitsBefore = upstream.metricsHits;
      const answer = await send(web.port, target, target === '*' ? { method: 'OPTIONS' } : {});
      attack(
        'web server: request targets',
        target,
        [400, 404].includes(answer.status) && upstream.metricsHits === hitsBefore,
      );
      expect([400, 404], target).toContain(answer.status);
    }
    for (const target of ['/socket.io/../metrics', '/socket.io/%2e%2e/metrics', '/metrics', '/api/anything']) {
      const { socket, status } = await rawUpgrade(web.port, target);
      socket.destroy();
      attack(
        'web server: request targets',
        `WebSocket upgrade to ${target}`,
        [400, 404].includes(status) && upstream.metricsHits === 0,
      );
      expect([400, 404], target).toContain(status);
    }
    expect(upstream.metricsHits).toBe(0);
    expect(upstream.targets.slice(reachedBefore)).toEqual([]); // none of them even reached signaling
  });

  it('serves files only from dist: no traversal, no dotfiles', async () => {
    const targets = [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/assets/..%2f..%2f..%2foutside.txt',
      '/assets/%2e%2e/%2e%2e/outside.txt',
      '/assets/..\\..\\outside.txt',
      '/.env',
      '/%2eenv',
      '/.git/config',
      '/assets/.hidden.js',
    ];
    for (const target of targets) {
      const answer = await send(web.port, target);
      attack('web server: static files', target, [400, 404].includes(answer.status) && !answer.body.includes(SECRET));
      expect([400, 404], target).toContain(answer.status);
      expect(answer.body, target).not.toContain(SECRET);
    }
  });
});

describe('web server: responses', () => {
  it('puts the security headers on pages, assets and proxied API answers', async () => {
    for (const target of ['/', SCRIPT, '/api/echo-headers', '/healthz', '/nothing.js']) {
      const answer = await send(web.port, target);
      expect(answer.headers, target).toMatchObject(SECURITY_HEADERS);
      expect(answer.headers['strict-transport-security']).toBeUndefined(); // plain HTTP here
    }
    expect((await send(web.port, '/api/echo-headers')).headers['x-powered-by']).toBeUndefined();
  });

  it('serves index.html for app routes, uncached, and hashed assets immutable', async () => {
    const index = await send(web.port, '/');
    expect(index).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    });
    for (const route of ['/c/abc123', '/c/abc123/', '/settings'])
      expect(await send(web.port, route)).toMatchObject({ status: 200, body: index.body });
    expect(await send(web.port, SCRIPT)).toMatchObject({
      status: 200,
      headers: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect((await send(web.port, SCRIPT, { method: 'POST' })).status).toBe(405);
  });

  it('has a favicon where browsers look for it (no 404 on every page)', async () => {
    expect(await send(web.port, '/favicon.ico')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'image/x-icon' },
    });
    expect(await send(web.port, '/favicon.svg')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'image/svg+xml' },
    });
    expect((await send(web.port, '/')).body).toContain('rel="icon" href="/favicon.svg"');
  });

  it('sends text files compressed once at start: brotli, else gzip, as the client accepts; the same bytes', async () => {
    const get = (target: string, acceptEncoding?: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        httpGet(
          {
            host: '127.0.0.1',
            port: web.port,
            path: target,
            headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        ).on('error', reject);
      });
    for (const target of [SCRIPT, '/']) {
      const plain = await get(target);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toBe('accept-encoding');
      const cases: Array<[string, 'br' | 'gzip' | undefined]> = [
        ['br', 'br'],
        ['gzip, deflate, br, zstd', 'br'],
        ['gzip', 'gzip'],
        ['br;q=0, gzip', 'gzip'],
        ['BR;Q=0.5', 'br'],
        ['*', 'br'],
        ['*;q=0', undefined],
        ['identity', undefined],
        ['br;q=abc, gzip;q=0', undefined],
        [`${'x, '.repeat(500)}gzip`, undefined],
      ];
      for (const [accept, encoding] of cases) {
        const answer = await get(target, accept);
        expect(answer.headers['content-encoding'], `${target} ${accept.slice(0, 40)}`).toBe(encoding);
        expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
        const decoded =
          encoding === 'br'
            ? brotliDecompressSync(answer.body)
            : encoding === 'gzip'
              ? gunzipSync(answer.body)
              : answer.body;
        expect(decoded.equals(plain.body)).toBe(true);
        // A script shrinks to well under half; even the small index.html shrinks.
        if (encoding) expect(answer.body.length).toBeLessThan(plain.body.length / (target === SCRIPT ? 2 : 1));
      }
    }
  });

  it('answers 404 for any source map', async () => {
    for (const target of [`${SCRIPT}.map`, '/index.js.map', '/assets/x.css.map']) {
      const answer = await send(web.port, target);
      attack('web server: static files', target, answer.status === 404 && !answer.body.includes(SECRET));
      expect(answer.status, target).toBe(404);
      expect(answer.body).not.toContain(SECRET);
    }
  });

  it('limits proxied request bodies to 64 KiB', async () => {
    const post = (bytes: number, headers: Record<string, string> = {}) =>
      send(web.port, '/api/echo-body', { method: 'POST', body: Buffer.alloc(bytes, 'a'), headers });
    const fits = await post(64 * 1024, { 'content-length': String(64 * 1024) });
    expect(json(fits)).toEqual({ ok: true, data: { bytes: 64 * 1024 } });
    const declared = await post(64 * 1024 + 1, { 'content-length': String(64 * 1024 + 1) });
    const chunked = await post(256 * 1024, { 'transfer-encoding': 'chunked' });
    attack(
      'web server: request bodies',
      '64 KiB + 1 byte, with Content-Length',
      declared.status === 413 && upstream.largestBody <= 64 * 1024,
    );
    attack(
      'web server: request bodies',
      '256 KiB, chunked',
      chunked.status === 413 && upstream.largestBody <= 64 * 1024,
    );
    expect(declared.status).toBe(413);
    expect(chunked.status).toBe(413);
    expect(upstream.largestBody).toBe(64 * 1024);
  });
});

describe('web server: per-address limits', () => {
  it('lets one address have 32 API requests in flight to signaling, then answers 429 with Retry-After', async () => {
    const hold = (from?: string) =>
      send(web.port, '/api/hold', from ? { from } : {}).catch((): Answer => ({ status: 0, headers: {}, body: '' }));
    const answers = Array.from({ length: 40 }, () => hold());
    let neighbour: Promise<Answer> | undefined;
    let heldByAttacker = -1;
    try {
      await eventually(() => upstream.held.length >= 32, 5_000);
      await new Promise((r) => setTimeout(r, 200)); // any more would have arrived by now
      heldByAttacker = upstream.held.length;
      neighbour = hold('127.0.0.2');
      expect(await eventually(() => upstream.held.length === heldByAttacker + 1, 5_000)).toBe(true); // its own budget
    } finally {
      upstream.releaseHeld();
    }
    const statuses = (await Promise.all(answers)).map((a) => a.status);
    const refused = (await Promise.all(answers)).filter((a) => a.status === 429);
    attack(
      'web server: proxy starvation',
      '40 API requests in flight from one address',
      heldByAttacker === 32 && refused.length === 8,
    );
    expect(heldByAttacker).toBe(32);
    expect(statuses.filter((s) => s === 200)).toHaveLength(32);
    expect(refused).toHaveLength(8);
    expect(refused[0]!.headers['retry-after']).toBe('1');
    expect(json(refused[0]!)).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect((await neighbour)?.status).toBe(200);
  });

  it('keeps 128 connections per address: a new one closes the oldest idle one, or itself when all are busy', async () => {
    const open = (from = '127.0.0.1') =>
      new Promise<NetSocket>((resolve, reject) => {
        const socket = netConnect({ port: web.port, host: '127.0.0.1', localAddress: from });
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
      });
    const closed = (socket: NetSocket) => new Promise((resolve) => socket.once('close', resolve));
    await new Promise((r) => setTimeout(r, 6_000)); // earlier tests' keep-alive connections closed
    // Idle connections (no request, as a slowloris' would be): the 129th evicts the first.
    const idle: NetSocket[] = [];
    for (let i = 0; i < 128; i++) idle.push(await open());
    const evicted = closed(idle[0]!);
    const newcomer = await open();
    await evicted;
    expect(idle.slice(1).every((s) => !s.destroyed)).toBe(true);
    newcomer.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    let answer = '';
    newcomer.on('data', (c: Buffer) => (answer += c.toString()));
    await closed(newcomer);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    // Busy connections (WebSocket tunnels) are never evicted: the 129th is closed at once.
    const tunnels: NetSocket[] = [];
    for (let i = 0; i < 128; i++) tunnels.push(await rawWebSocket(web.port));
    const extra = await open();
    const refusedAtOnce = await Promise.race([
      closed(extra).then(() => true),
      new Promise((r) => setTimeout(() => r(false), 2_000)),
    ]);
    const neighbour = await send(web.port, '/healthz', { from: '127.0.0.2' });
    attack(
      'web server: proxy starvation',
      '129 connections from one address (128 idle, then 128 tunnels)',
      refusedAtOnce === true && neighbour.status === 200,
    );
    expect(refusedAtOnce).toBe(true);
    expect(tunnels.every((s) => !s.destroyed)).toBe(true);
    expect(neighbour.status).toBe(200);
    for (const s of tunnels) s.destroy();
  }, 30_000);
});

describe('web server: Socket.IO through the proxy', () => {
  it('releases both sockets of 200 WebSocket connections, however either side ends them', async () => {
    // Four endings in turn: the client disconnects, signaling disconnects it, the client's TCP
    // connection ends without a WebSocket close (FIN), or is reset (RST).
    const endings = ['client', 'server', 'fin', 'reset'] as const;
    const open = async (ending: (typeof endings)[number]): Promise<() => Promise<unknown>> => {
      if (ending === 'fin' || ending === 'reset') {
        const raw = await rawWebSocket(web.port);
        return async () => (ending === 'fin' ? raw.end() : raw.resetAndDestroy());
      }
      const socket = await connect(web.url, ['websocket']);
      return () => {
        const gone = new Promise((resolve) => socket.once('disconnect', resolve));
        if (ending === 'client') socket.disconnect();
        else upstream.io.sockets.sockets.get(socket.id!)?.disconnect(true);
        return gone;
      };
    };
    for (const close of await Promise.all(endings.map(open))) await close(); // warm-up
    await new Promise((r) => setTimeout(r, 500));
    const before = web.openDescriptors();
    let peak = before;
    for (let round = 0; round < 10; round++) {
      const closers = await Promise.all(Array.from({ length: 20 }, (_, i) => open(endings[i % endings.length]!)));
      peak = Math.max(peak, web.openDescriptors());
      await Promise.all(closers.map((close) => close()));
    }
    expect(peak).toBeGreaterThanOrEqual(before + 40); // the count does see the tunnels
    const released = await eventually(() => web.openDescriptors() <= before + 3, 5_000);
    attack(
      'web server: WebSocket teardown',
      '200 tunnels ended by client, server, FIN or RST',
      released && web.alive,
      200,
    );
    expect(released, `descriptors: ${before} before, ${web.openDescriptors()} after`).toBe(true);
    expect(web.alive).toBe(true);
    expect(web.output.join('\n')).not.toMatch(/ended by the other party/);
  });

  it('proxies long-polling', async () => {
    const socket = await connect(web.url, ['polling']);
    expect(socket.io.engine.transport.name).toBe('polling');
    expect(await socket.emitWithAck('echo', { hello: 'polling' })).toEqual({
      value: { hello: 'polling' },
      forwardedFor: '127.0.0.1',
    });
    socket.close();
  });
});

describe('web server: signaling down', () => {
  let down: WebProcess;
  beforeAll(async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    down = await WebProcess.start({ VISITA_SIGNALING_URL: `http://127.0.0.1:${port}` });
  });
  afterAll(() => down?.stop());

  it('answers 502 with a JSON error, logs it with a request id and stays up', async () => {
    const answer = await send(down.port, '/api/echo-headers');
    attack(
      'web server: signaling down',
      'API request and WebSocket upgrade with signaling down',
      answer.status === 502 && down.alive,
    );
    expect(answer.status).toBe(502);
    expect(json(answer)).toEqual({ ok: false, code: 'INTERNAL', message: 'signaling unavailable' });
    await expect(connect(down.url, ['websocket'])).rejects.toThrow();
    await expect(connect(down.url, ['polling'])).rejects.toThrow();
    expect((await send(down.port, '/')).status).toBe(200);
    expect(down.alive).toBe(true);
    const logged = down
      .logLines()
      .find((l) => l['msg'] === 'signaling request failed' && l['requestId'] === answer.headers['x-request-id']);
    expect(logged).toMatchObject({ service: 'web', level: 'error', err: 'ECONNREFUSED' });
  });
});

describe('web server: TLS', () => {
  let tlsWeb: WebProcess;
  let cert: ReturnType<typeof selfSignedCert>;
  beforeAll(async () => {
    cert = selfSignedCert();
    tlsWeb = await WebProcess.start({
      VISITA_SIGNALING_URL: upstream.url,
      VISITA_TLS_CERT: cert.certFile,
      VISITA_TLS_KEY: cert.keyFile,
    });
  });
  afterAll(async () => {
    await tlsWeb?.stop();
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
  });

  const handshake = (o: ConnectionOptions) =>
    new Promise<{ ok: boolean; protocol?: string | null; cipher?: string }>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: tlsWeb.port, rejectUnauthorized: false, ...o });
      socket.once('secureConnect', () => {
        resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.destroy();
      });
      socket.once('error', () => resolve({ ok: false }));
    });

  it('refuses TLS 1.2 with CBC-SHA1 suites, accepts ECDHE with AEAD and TLS 1.3', async () => {
    const cbc = await handshake({
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA',
    });
    attack('web server: TLS', 'TLS 1.2 offering only CBC-SHA1 suites', !cbc.ok);
    expect(cbc).toEqual({ ok: false });
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.2',
      cipher: expect.stringMatching(/^ECDHE-.*(GCM|CHACHA20)/),
    });
    expect(await handshake({})).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('sends HSTS and X-Forwarded-Proto https', async () => {
    for (const target of ['/', '/api/echo-headers']) {
      expect((await send(tlsWeb.port, target, { tls: true })).headers).toMatchObject({
        ...SECURITY_HEADERS,
        'strict-transport-security': HSTS,
      });
    }
    const seen = json(await send(tlsWeb.port, '/api/echo-headers', { tls: true })).data!['headers'] as Record<
      string,
      string
    >;
    expect(seen['x-forwarded-proto']).toBe('https');
    const socket = await connect(tlsWeb.url, ['websocket']);
    expect(await socket.emitWithAck('echo', 'tls')).toEqual({ value: 'tls', forwardedFor: '127.0.0.1' });
    socket.close();
  });
});
