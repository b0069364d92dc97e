import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import { RedisServer, freePort } from './redisServer.ts';
import {
  InProcessSfu,
  seedDemoAccount,
  connectClient,
  createConsultation,
  login,
  signalingEnv,
  type CreatedConsultation,
  type TestClient,
} from './stack.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.ts');

/** A signaling instance as its own OS process (so it can be killed with SIGKILL). */
export class SignalingProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  #log = '';

  private constructor(url: string, proc: ChildProcess) {
    this.url = url;
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.#log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.#log += d.toString()));
  }

  get log(): string {
    return this.#log;
  }

  static async start(redisUrl: string, instanceId: string, extra: Record<string, string>): Promise<SignalingProcess> {
    const port = await freePort();
    const proc = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ...signalingEnv(redisUrl, {
          VISITA_SIGNALING_PORT: String(port),
          VISITA_INSTANCE_ID: instanceId,
          VISITA_LOG_LEVEL: 'debug',
          ...extra,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sp = new SignalingProcess(`http://127.0.0.1:${port}`, proc);
    for (let i = 0; i < 150; i++) {
      if (proc.exitCode !== null) throw new Error(`signaling ${instanceId} exited: ${sp.log}`);
      if (
        await fetch(`${sp.url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return sp;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`signaling ${instanceId} did not start: ${sp.log}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await exited;
  }
}

/** One redis-server, one in-process SFU node, and N signaling processes sharing them. */
export class MultiStack {
  readonly redis: RedisServer;
  readonly sfu: InProcessSfu;
  readonly instances: SignalingProcess[];
  readonly #sockets: Socket[] = [];

  private constructor(redis: RedisServer, sfu: InProcessSfu, instances: SignalingProcess[]) {
    this.redis = redis;
    this.sfu = sfu;
    this.instances = instances;
  }

  static async start(count: number, extra: Record<string, string> = {}): Promise<MultiStack> {
    const redis = await RedisServer.start();
    await seedDemoAccount(redis.url);
    const sfu = await InProcessSfu.start(redis.urls.sfu);
    const instances = await Promise.all(
      Array.from({ length: count }, (_, i) => SignalingProcess.start(redis.urls.signaling, `sig-${i}`, extra)),
    );
    return new MultiStack(redis, sfu, instances);
  }

  url(i: number): string {
    return this.instances[i]!.url;
  }

  login(i = 0): Promise<string> {
    return login(this.url(i));
  }

  createConsultation(token: string, i = 0): Promise<CreatedConsultation> {
    return createConsultation(this.url(i), token);
  }

  connect(token: string, i: number): Promise<TestClient> {
    return connectClient(this.url(i), token, undefined, (s) => this.#sockets.push(s));
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.close();
    await Promise.all(this.instances.map((p) => p.kill('SIGKILL')));
    await this.sfu.stop();
    await this.redis.stop();
  }
}
