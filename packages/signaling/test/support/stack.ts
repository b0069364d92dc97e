import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, type Ack, type ClientRequests, type ClientToServerEvents, type ServerToClientEvents } from '@visita/protocol';
import { ControlServer, Heartbeat, SfuNode, WorkerPool, createLogger as createSfuLogger } from '@visita/sfu';
import { loadSignalingConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { SignalingServer } from '../../src/SignalingServer.ts';
import { RedisServer } from './redisServer.ts';

export const DEMO = { email: 'doctor@visita.test', password: 'correct horse battery staple', name: 'Dr. Test' };
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const SFU_SECRET = 'test-sfu-secret-0123456789';

/** The real stack in one process: redis-server, one SFU node (real workers), one signaling instance. */
export class TestStack {
  readonly redis: RedisServer;
  readonly pool: WorkerPool;
  readonly node: SfuNode;
  readonly signaling: SignalingServer;
  readonly signalingUrl: string;
  readonly #control: ControlServer;
  readonly #heartbeat: Heartbeat;
  readonly #sfuRedis: Redis;
  readonly #sockets: Socket[] = [];

  private constructor(parts: {
    redis: RedisServer;
    pool: WorkerPool;
    node: SfuNode;
    control: ControlServer;
    heartbeat: Heartbeat;
    sfuRedis: Redis;
    signaling: SignalingServer;
    signalingUrl: string;
  }) {
    this.redis = parts.redis;
    this.pool = parts.pool;
    this.node = parts.node;
    this.#control = parts.control;
    this.#heartbeat = parts.heartbeat;
    this.#sfuRedis = parts.sfuRedis;
    this.signaling = parts.signaling;
    this.signalingUrl = parts.signalingUrl;
  }

  static async start(opts: { workers?: number; publicUrl?: string } = {}): Promise<TestStack> {
    const redis = await RedisServer.start();
    const sfuLog = createSfuLogger(process.env['VISITA_TEST_LOG'] ?? 'silent', { nodeId: 'sfu-test' });
    const pool = await WorkerPool.create(opts.workers ?? 1, sfuLog);
    const node = new SfuNode('sfu-test', pool, { listenIp: '127.0.0.1', announcedAddress: undefined, minPort: 40000, maxPort: 49999 }, sfuLog);
    const control = new ControlServer(node, SFU_SECRET, sfuLog);
    const controlPort = await control.listen(0, '127.0.0.1');
    const sfuRedis = new Redis(redis.url);
    const heartbeat = new Heartbeat(sfuRedis, node, pool, `http://127.0.0.1:${controlPort}`, sfuLog);
    await heartbeat.beat();
    const config = loadSignalingConfig({
      VISITA_SIGNALING_PORT: '0',
      VISITA_REDIS_URL: redis.url,
      VISITA_JWT_SECRET: JWT_SECRET,
      VISITA_SFU_SECRET: SFU_SECRET,
      VISITA_DEMO_EMAIL: DEMO.email,
      VISITA_DEMO_PASSWORD: DEMO.password,
      VISITA_DEMO_NAME: DEMO.name,
      VISITA_PUBLIC_URL: opts.publicUrl ?? 'https://visita.test',
      VISITA_INSTANCE_ID: 'sig-test',
    });
    const signaling = new SignalingServer(config, createLogger(process.env['VISITA_TEST_LOG'] ?? 'silent'));
    const port = await signaling.listen();
    return new TestStack({ redis, pool, node, control, heartbeat, sfuRedis, signaling, signalingUrl: `http://127.0.0.1:${port}` });
  }

  async login(): Promise<string> {
    const res = await fetch(`${this.signalingUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
    });
    const body = (await res.json()) as Ack<{ token: string }>;
    if (!body.ok) throw new Error(`login failed: ${body.message}`);
    return body.data.token;
  }

  async createConsultation(practitionerToken: string): Promise<{ consultationId: string; patientLink: string; patientToken: string }> {
    const res = await fetch(`${this.signalingUrl}/api/consultations`, { method: 'POST', headers: { authorization: `Bearer ${practitionerToken}` } });
    const body = (await res.json()) as Ack<{ consultationId: string; patientLink: string; patientToken: string }>;
    if (!body.ok) throw new Error(`create failed: ${body.message}`);
    return body.data;
  }

  /** A connected socket.io-client; rejects with the server's connect_error. */
  async connect(token: string, protocolVersion = PROTOCOL_VERSION): Promise<TestClient> {
    const socket: TestClient['socket'] = io(this.signalingUrl, {
      auth: { token, protocolVersion },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    this.#sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    return new TestClient(socket);
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.close();
    await this.signaling.close();
    await this.#heartbeat.stop();
    this.node.close();
    await this.#control.close();
    this.pool.close();
    this.#sfuRedis.disconnect();
    await this.redis.stop();
  }
}

export class TestClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    this.socket = socket;
  }

  request<K extends keyof ClientRequests>(name: K, payload: ClientRequests[K][0]): Promise<Ack<ClientRequests[K][1]>> {
    return this.raw(name, payload) as Promise<Ack<ClientRequests[K][1]>>;
  }

  /** Sends a raw event (for malformed-input tests). */
  raw(name: string, payload: unknown): Promise<Ack<unknown>> {
    return (this.socket as unknown as Socket).timeout(15_000).emitWithAck(name, payload) as Promise<Ack<unknown>>;
  }

  next<E extends keyof ServerToClientEvents>(event: E): Promise<Parameters<ServerToClientEvents[E]>[0]> {
    return new Promise((resolve) => {
      this.socket.once(event, ((arg: Parameters<ServerToClientEvents[E]>[0]) => resolve(arg)) as never);
    });
  }
}
export { freePort, RedisServer } from './redisServer.ts';
