import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  type Ack,
  type AckOk,
  type ClientRequests,
  type ClientToServerEvents,
  type CreatedConsultation,
  type ServerToClientEvents,
  type TransportOptions,
  type UsageRecord,
  type UsageReport,
} from '@visita/protocol';
import { ControlServer, Heartbeat, SfuNode, WorkerPool, createLogger as createSfuLogger } from '@visita/sfu';
import { audioRtpParameters } from '../../../sfu/test/fixtures.ts';
import { addAccount } from '../../src/accounts/manage.ts';
import { loadSignalingConfig } from '../../src/config.ts';
import { RedisAccountStore } from '../../src/store/RedisAccountStore.ts';
import { accountSeal } from '../../src/accounts/accountSeal.ts';
import { SecretBox } from '../../src/accounts/SecretBox.ts';
import { createLogger } from '../../src/logger.ts';
import { SignalingServer } from '../../src/SignalingServer.ts';
import { RedisServer } from './redisServer.ts';

export const DEMO = { email: 'doctor@visita.test', password: 'correct horse battery staple', name: 'Dr. Test' };
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const JWT_KID = 'test1';

/** The practitioner every test logs in as, created as the CLI would. */
export async function seedDemoAccount(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await addAccount(testAccountStore(redis), { email: DEMO.email, name: DEMO.name, password: DEMO.password });
  } finally {
    redis.disconnect();
  }
}
/** Another account, created as the CLI would (an ops account for the ops pages). */
export async function seedAccount(redisUrl: string, account: Parameters<typeof addAccount>[1]): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await addAccount(testAccountStore(redis), account);
  } finally {
    redis.disconnect();
  }
}
export const SFU_SECRET = 'test-sfu-secret-0123456789';

/** The account store as the test stacks' signaling sees it (sealed with their JWT key). */
export function testAccountStore(redis: Redis): RedisAccountStore {
  return new RedisAccountStore(redis, accountSeal(new SecretBox({ jwtKeys: [{ kid: JWT_KID, secret: JWT_SECRET }] })));
}

/** The real stack in one process: redis-server, one SFU node (real workers), one signaling instance. */
export class TestStack {
  readonly redis: RedisServer;
  readonly pool: WorkerPool;
  readonly node: SfuNode;
  readonly signaling: SignalingServer;
  readonly signalingUrl: string;
  readonly sfu: InProcessSfu;
  readonly #sockets: Socket[] = [];

  private constructor(parts: {
    redis: RedisServer;
    sfu: InProcessSfu;
    signaling: SignalingServer;
    signalingUrl: string;
  }) {
    this.redis = parts.redis;
    this.sfu = parts.sfu;
    this.pool = parts.sfu.pool;
    this.node = parts.sfu.node;
    this.signaling = parts.signaling;
    this.signalingUrl = parts.signalingUrl;
  }

  static async start(
    opts: { workers?: number; publicUrl?: string; env?: Record<string, string>; mediaIp?: string } = {},
  ): Promise<TestStack> {
    const redis = await RedisServer.start();
    await seedDemoAccount(redis.url);
    const sfu = await InProcessSfu.start(redis.urls.sfu, opts.workers ?? 1, 'sfu-test', opts.mediaIp);
    const config = loadSignalingConfig(
      signalingEnv(redis.urls.signaling, {
        VISITA_SIGNALING_PORT: '0',
        VISITA_INSTANCE_ID: 'sig-test',
        VISITA_PUBLIC_URL: opts.publicUrl ?? 'https://visita.test',
        ...opts.env,
      }),
    );
    const signaling = new SignalingServer(config, createLogger(process.env['VISITA_TEST_LOG'] ?? 'silent'));
    const port = await signaling.listen();
    return new TestStack({ redis, sfu, signaling, signalingUrl: `http://127.0.0.1:${port}` });
  }

  login(): Promise<string> {
    return login(this.signalingUrl);
  }

  /** An access token for another account (an ops account, a second practitioner). */
  loginAs(email: string, password: string): Promise<string> {
    return login(this.signalingUrl, email, password);
  }

  createConsultation(practitionerToken: string): Promise<CreatedConsultation> {
    return createConsultation(this.signalingUrl, practitionerToken);
  }

  /** A connected socket.io-client; rejects with the server's connect_error. */
  async connect(token: string, protocolVersion = PROTOCOL_VERSION): Promise<TestClient> {
    const client = await connectClient(this.signalingUrl, token, protocolVersion, (s) => this.#sockets.push(s));
    return client;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.close();
    await this.signaling.close();
    await this.sfu.stop();
    await this.redis.stop();
  }
}

/** One SFU node in this process: real workers, control port on loopback, heartbeat into Redis. */
export class InProcessSfu {
  readonly pool: WorkerPool;
  readonly node: SfuNode;
  readonly #control: ControlServer;
  readonly #heartbeat: Heartbeat;
  readonly #redis: Redis;

  private constructor(pool: WorkerPool, node: SfuNode, control: ControlServer, heartbeat: Heartbeat, redis: Redis) {
    this.pool = pool;
    this.node = node;
    this.#control = control;
    this.#heartbeat = heartbeat;
    this.#redis = redis;
  }

  /** `mediaIp`: the address the node's transports listen on and announce (127.0.0.1 unless a test's network needs another). */
  static async start(redisUrl: string, workers = 1, nodeId = 'sfu-test', mediaIp = '127.0.0.1'): Promise<InProcessSfu> {
    const log = createSfuLogger(process.env['VISITA_TEST_LOG'] ?? 'silent', { nodeId });
    const pool = await WorkerPool.create(workers, log);
    const node = new SfuNode(
      nodeId,
      pool,
      { listenIp: mediaIp, announcedAddress: undefined, minPort: 40000, maxPort: 49999 },
      log,
    );
    const control = new ControlServer(node, SFU_SECRET, log);
    const controlPort = await control.listen(0, '127.0.0.1');
    const redis = new Redis(redisUrl);
    const heartbeat = new Heartbeat(redis, node, pool, `http://127.0.0.1:${controlPort}`, SFU_SECRET, log);
    await heartbeat.beat();
    return new InProcessSfu(pool, node, control, heartbeat, redis);
  }

  /** Announces the node as draining (or serving again) at once: signaling stops placing calls here. */
  async setDraining(draining: boolean): Promise<void> {
    this.node.draining = draining;
    await this.#heartbeat.beat();
  }

  async stop(): Promise<void> {
    await this.#heartbeat.stop();
    this.node.close();
    await this.#control.close();
    this.pool.close();
    this.#redis.disconnect();
  }
}

export type { CreatedConsultation };

/** An access token for an account (the demo practitioner unless told otherwise). */
export async function login(signalingUrl: string, email = DEMO.email, password = DEMO.password): Promise<string> {
  const res = await fetch(`${signalingUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as Ack<{ token: string }>;
  if (!body.ok) throw new Error(`login failed: ${body.message}`);
  return body.data.token;
}

export async function createConsultation(
  signalingUrl: string,
  practitionerToken: string,
): Promise<CreatedConsultation> {
  const res = await fetch(`${signalingUrl}/api/consultations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${practitionerToken}` },
  });
  const body = (await res.json()) as Ack<CreatedConsultation>;
  if (!body.ok) throw new Error(`create failed: ${body.message}`);
  return body.data;
}

export async function connectClient(
  url: string,
  token: string,
  protocolVersion = PROTOCOL_VERSION,
  track?: (s: Socket) => void,
): Promise<TestClient> {
  const socket: TestClient['socket'] = io(url, {
    auth: { token, protocolVersion },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  track?.(socket as unknown as Socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return new TestClient(socket);
}

/** The environment a signaling instance of the test stacks runs with. */
export function signalingEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    VISITA_REDIS_URL: redisUrl,
    VISITA_JWT_KEYS: `${JWT_KID}:${JWT_SECRET}`,
    VISITA_SFU_SECRET: SFU_SECRET,
    VISITA_PUBLIC_URL: 'https://visita.test',
    ...extra,
  };
}

export class TestClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    this.socket = socket;
  }

  request<K extends keyof ClientRequests>(name: K, payload: ClientRequests[K][0]): Promise<Ack<ClientRequests[K][1]>> {
    return this.raw(name, payload) as Promise<Ack<ClientRequests[K][1]>>;
  }

  /**
   * A microphone sent for real (MediaBot: ICE, DTLS, SRTP, Opus): the SFU sees its first RTP packet
   * within milliseconds, which is when billing counts this side's media up. Stops on disconnect.
   */
  async sendAudio(consultationId: string, silentForMs = 0): Promise<{ producerId: string; firstSentAt: number }> {
    // Loaded on first use: the native WebRTC module stays out of the processes that never send.
    const { MediaBot } = await import('./mediaBot.ts');
    const bot = await MediaBot.sendAudio(this, consultationId, silentForMs);
    if (this.socket.connected) this.socket.once('disconnect', () => bot.close());
    else bot.close();
    return { producerId: bot.producerId, firstSentAt: bot.firstSentAt };
  }

  /** A send transport and a microphone producer (hand-written RTP parameters; no RTP flows, so never billed). */
  async produceAudio(consultationId: string): Promise<string> {
    return (await this.produceAudioOn(consultationId)).producerId;
  }

  /** produceAudio, with the send transport it created. */
  async produceAudioOn(consultationId: string): Promise<{ producerId: string; transport: TransportOptions }> {
    const t = await this.request('media:createTransport', { consultationId, direction: 'send' });
    if (!t.ok) throw new Error(t.message);
    const p = await this.request('media:produce', {
      consultationId,
      transportId: t.data.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    if (!p.ok) throw new Error(p.message);
    return { producerId: p.data.producerId, transport: t.data };
  }

  /** Sends a raw event (for malformed-input tests). */
  raw(name: string, payload: unknown): Promise<Ack<unknown>> {
    return (this.socket as unknown as Socket).timeout(15_000).emitWithAck(name, payload) as Promise<Ack<unknown>>;
  }

  /** The next `event` whose payload satisfies `accept` (events before it are skipped). */
  until<E extends keyof ServerToClientEvents>(
    event: E,
    accept: (arg: Parameters<ServerToClientEvents[E]>[0]) => boolean,
    timeoutMs = 10_000,
  ): Promise<Parameters<ServerToClientEvents[E]>[0]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off(event, handler as never);
        reject(new Error(`no matching ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const handler = (arg: Parameters<ServerToClientEvents[E]>[0]) => {
        if (!accept(arg)) return;
        clearTimeout(timer);
        this.socket.off(event, handler as never);
        resolve(arg);
      };
      this.socket.on(event, handler as never);
    });
  }

  next<E extends keyof ServerToClientEvents>(event: E): Promise<Parameters<ServerToClientEvents[E]>[0]> {
    return new Promise((resolve) => {
      this.socket.once(event, ((arg: Parameters<ServerToClientEvents[E]>[0]) => resolve(arg)) as never);
    });
  }
}
export { freePort, RedisServer } from './redisServer.ts';

/** A usage record as `GET /api/usage` returns it. */
export type UsageRecordJson = UsageRecord;

/** Polls GET /api/usage until the consultation's record is complete (the rater runs asynchronously). */
type Call = { consultationId: string; token: string; patientToken: string; doctor: TestClient; patient: TestClient };

/**
 * A consultation admitted through `stack`, no media yet: the patient checks in (as `displayName`),
 * the practitioner joins and admits (after `beforeAdmitMs`). Returns both clients.
 */
export async function admittedCall(
  stack: TestStack,
  opts: { beforeAdmitMs?: number; displayName?: string } = {},
): Promise<Call> {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: opts.displayName ?? 'P' });
  await doctor.request('consultation:join', { consultationId });
  if (opts.beforeAdmitMs) await new Promise((r) => setTimeout(r, opts.beforeAdmitMs));
  const admitted = await doctor.request('consultation:admit', { consultationId });
  if (!admitted.ok) throw new Error(`admit failed: ${admitted.code} ${admitted.message}`);
  return { consultationId, token, patientToken, doctor, patient };
}

/** A consultation in a call: admitted (see admittedCall), and both send a microphone (real RTP). */
export async function startCall(stack: TestStack, opts: { beforeAdmitMs?: number } = {}): Promise<Call> {
  const call = await admittedCall(stack, opts);
  await Promise.all([call.patient.sendAudio(call.consultationId), call.doctor.sendAudio(call.consultationId)]);
  return call;
}

export async function waitForUsage(
  signalingUrl: string,
  token: string,
  consultationId: string,
  timeoutMs = 5_000,
): Promise<UsageRecordJson> {
  const period = new Date().toISOString().slice(0, 7);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${signalingUrl}/api/usage?period=${period}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as Partial<AckOk<UsageReport>>;
    const record = body.data?.practitioners
      .flatMap((p) => p.consultations)
      .find((c) => c.consultationId === consultationId && c.complete);
    if (record) return record;
    if (Date.now() > deadline) throw new Error(`no complete usage record for ${consultationId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
export { compareDumps, dumpRedis, LIVE_KEYS, type Dump } from './redisDump.ts';
export { withScratchRedis } from '../../src/backup/scratchRedis.ts';
