import { rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, TestStack } from '@visita/signaling/testing';
import { attack } from '../../signaling/test/support/attackLog.ts';
import { selfSignedCert } from '../e2e/support/browser.ts';
import { WebProcess } from './support/webProcess.ts';

// Issue 20, item 2: one stranger starving the web proxy. The web server (a child process, over
// TLS) in front of real signaling (TestStack: redis-server, an SFU node, signaling trusting the
// proxy's X-Forwarded-For as `make start` does). One address holds 600 long-polls and 600
// connections whose `POST /api/logout` body never completes; a practitioner's login and a
// patient's link check, from that address and from another (127.0.0.2: all of 127/8 is on lo in
// the test's namespace), must still answer within 1 s. Before the fix they waited tens of seconds:
// every proxied request shared one pool of 512 upstream connections, each slow body held one
// until the request timed out (30 s, checked every 30 s) and each long-poll one for 10 s.

const ATTACKER = '127.0.0.1';
const NEIGHBOUR = '127.0.0.2';
const SLOW_BODIES = 600;
const POLLERS = 600;
/** The bound for a login and a link check under the attack. */
const ANSWER_WITHIN_MS = 1_000;
/** How long a measured request may wait before it counts as starved (the old code took 30-60 s). */
const GIVE_UP_MS = 90_000;

let stack: TestStack;
let web: WebProcess;
let cert: ReturnType<typeof selfSignedCert>;
let patientToken: string;
beforeAll(async () => {
  stack = await TestStack.start({ env: { VISITA_TRUSTED_PROXIES: 'loopback' } });
  patientToken = (await stack.createConsultation(await stack.login())).patientToken;
  cert = selfSignedCert();
  web = await WebProcess.start({
    VISITA_SIGNALING_URL: stack.signalingUrl,
    VISITA_TLS_CERT: cert.certFile,
    VISITA_TLS_KEY: cert.keyFile,
  });
}, 60_000);
afterAll(async () => {
  await web?.stop();
  await stack?.stop();
  if (cert) rmSync(cert.dir, { recursive: true, force: true });
});

/** A TLS connection from `from`, once its handshake is done; undefined if the server closed it first. */
function openTls(from = ATTACKER): Promise<TLSSocket | undefined> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port: web.port, localAddress: from, rejectUnauthorized: false };
    const socket = tlsConnect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, 10_000);
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

/** Opens `n` of something in batches of 50 (a listen backlog is not what this is about). */
async function inBatches<T>(n: number, open: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, open))));
  return out;
}

/** A `POST /api/logout` whose body never completes: headers and 17 of the 200 bytes it declares. */
async function slowBody(from = ATTACKER): Promise<TLSSocket | undefined> {
  const socket = await openTls(from);
  socket?.write(
    [
      'POST /api/logout HTTP/1.1',
      `Host: 127.0.0.1:${web.port}`,
      'Content-Type: application/json',
      'Content-Length: 200',
      '',
      '{"refreshToken":"',
    ].join('\r\n'),
  );
  return socket;
}

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request; rejects after GIVE_UP_MS. */
function fetchFrom(
  from: string | Agent,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: web.port,
      path,
      method: o.method ?? 'GET',
      headers: o.headers ?? {},
      rejectUnauthorized: false,
      ...(typeof from === 'string' ? { localAddress: from, agent: false } : { agent: from }),
      timeout: GIVE_UP_MS,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${GIVE_UP_MS} ms`)));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/**
 * An unauthenticated Socket.IO client that only long-polls: engine.io's handshake, then polls,
 * again as soon as one is answered (and a new handshake when its session is gone), until stopped.
 */
class Poller {
  readonly #agent: Agent;
  #stopped = false;
  /** A poll was sent and not answered yet. */
  waiting = false;
  /** Its first poll was sent, or it was refused. */
  readonly started: Promise<void>;
  refused = 0;
  #start!: () => void;

  constructor(from = ATTACKER) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: from, rejectUnauthorized: false });
    this.started = new Promise((resolve) => (this.#start = resolve));
    void this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const open = await fetchFrom(this.#agent, '/socket.io/?EIO=4&transport=polling');
        const sid = /"sid":"([^"]+)"/.exec(open.body)?.[1];
        if (!sid) throw new Error(`handshake answered ${open.status}`);
        for (;;) {
          if (this.#stopped) return;
          this.waiting = true;
          const polled = fetchFrom(this.#agent, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
          this.#start();
          const answer = await polled.finally(() => (this.waiting = false));
          if (answer.status !== 200) throw new Error(`poll answered ${answer.status}`);
        }
      } catch {
        this.refused++;
        this.#start();
        // Some time before trying again: this is about holding the pool, not a flood of handshakes.
        await new Promise((r) => setTimeout(r, 5_000));
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#agent.destroy();
  }
}

/** A request's time to answer, or GIVE_UP_MS when it got none. */
async function timed(request: () => Promise<Answer>): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const answer = await request().catch(() => ({ status: 0, body: '' }));
  return { ms: Math.round(performance.now() - t0), status: answer.status };
}

const login = (from: string) =>
  timed(() =>
    fetchFrom(from, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
    }),
  );
const linkCheck = (from: string) =>
  timed(() => fetchFrom(from, '/api/link', { headers: { authorization: `Bearer ${patientToken}` } }));

describe('web server: proxy starvation', () => {
  it('answers a login and a link check within 1 s while one address holds 600 long-polls and 600 slow bodies', async () => {
    const pollers = await inBatches(POLLERS, async () => {
      const poller = new Poller();
      await poller.started;
      return poller;
    });
    const slow = await inBatches(SLOW_BODIES, slowBody);
    try {
      const stillOpen = slow.filter((s) => s && !s.destroyed).length;
      const polling = pollers.filter((p) => p.waiting).length;
      const [sameLogin, sameLink, otherLogin, otherLink] = await Promise.all([
        login(ATTACKER),
        linkCheck(ATTACKER),
        login(NEIGHBOUR),
        linkCheck(NEIGHBOUR),
      ]);
      const answers = { sameLogin, sameLink, otherLogin, otherLink };
      const fast = Object.values(answers).every((a) => a.status === 200 && a.ms < ANSWER_WITHIN_MS);
      attack(
        'web server: proxy starvation',
        `${POLLERS} long-polls + ${SLOW_BODIES} slow POST bodies from one address ` +
          `(${polling} polls waiting, ${stillOpen} slow bodies open): login ${sameLogin.ms} ms and ` +
          `link check ${sameLink.ms} ms from that address, ${otherLogin.ms} ms and ${otherLink.ms} ms from another`,
        fast,
      );
      console.log(JSON.stringify({ polling, stillOpen, ...answers }));
      for (const [name, a] of Object.entries(answers)) {
        expect(a.status, name).toBe(200);
        expect(a.ms, name).toBeLessThan(ANSWER_WITHIN_MS);
      }
      expect(web.alive).toBe(true);
    } finally {
      for (const p of pollers) p.stop();
      for (const s of slow) s?.destroy();
    }
  }, 240_000);

  it('keeps long-polls and slow bodies from 10 addresses, each under its caps, off the connections logins need', async () => {
    // 60 polls and 60 slow bodies per address: within every per-address cap, so only the pools
    // (polls apart; bodies received before any upstream connection is taken) keep logins fast.
    const from = (i: number) => `127.0.0.${10 + (i % 10)}`;
    let n = 0;
    const pollers = await inBatches(POLLERS, async () => {
      const poller = new Poller(from(n++));
      await poller.started;
      return poller;
    });
    const slow = await inBatches(SLOW_BODIES, () => slowBody(from(n++)));
    try {
      const polling = pollers.filter((p) => p.waiting).length;
      const [login2, link2] = await Promise.all([login(NEIGHBOUR), linkCheck(NEIGHBOUR)]);
      attack(
        'web server: proxy starvation',
        `${POLLERS} long-polls + ${SLOW_BODIES} slow POST bodies from 10 addresses (${polling} polls waiting): ` +
          `login ${login2.ms} ms, link check ${link2.ms} ms from another`,
        [login2, link2].every((a) => a.status === 200 && a.ms < ANSWER_WITHIN_MS),
      );
      console.log(JSON.stringify({ polling, login2, link2 }));
      expect(polling).toBeGreaterThan(256); // more than the API pool holds: they are elsewhere
      for (const [name, a] of Object.entries({ login2, link2 })) {
        expect(a.status, name).toBe(200);
        expect(a.ms, name).toBeLessThan(ANSWER_WITHIN_MS);
      }
    } finally {
      for (const p of pollers) p.stop();
      for (const s of slow) s?.destroy();
    }
  }, 240_000);

  it('closes a connection whose headers or body stall after 10 s (Node checks every second)', async () => {
    /** Writes `partial`; resolves with the answer's status line (if any) and when the server closed it. */
    const stall = async (partial: string): Promise<{ ms: number; status: string }> => {
      const socket = await openTls();
      if (!socket) throw new Error('connection refused');
      const t0 = performance.now();
      let received = '';
      socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
      socket.write(partial);
      await new Promise((resolve) => socket.once('close', resolve));
      return { ms: Math.round(performance.now() - t0), status: received.split('\r\n')[0] ?? '' };
    };
    const host = `Host: 127.0.0.1:${web.port}`;
    const [body, headers] = await Promise.all([
      stall(`POST /api/logout HTTP/1.1\r\n${host}\r\nContent-Length: 200\r\n\r\n{"refreshToken":"`),
      stall(`GET /api/link HTTP/1.1\r\n${host}\r\nX-Slow: `),
    ]);
    for (const [what, closed] of [
      ['a body that never completes', body],
      ['headers that never complete', headers],
    ] as const)
      attack('web server: proxy starvation', `${what}: closed after ${closed.ms} ms`, closed.ms < 13_000);
    expect(body.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(body.ms).toBeGreaterThanOrEqual(9_500);
    expect(body.ms).toBeLessThan(13_000);
    expect(headers.ms).toBeGreaterThanOrEqual(9_500);
    expect(headers.ms).toBeLessThan(13_000);
  }, 90_000);
});
