import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sfuNodeKey } from '@visita/protocol';
import { freePort, type RedisServer } from './redisServer.ts';
import { SFU_SECRET } from './stack.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '../../../sfu/src/main.ts');

/** An SFU node as its own OS process (real worker), so a test can kill it with SIGKILL. */
export class SfuProcess {
  readonly nodeId: string;
  readonly proc: ChildProcess;
  #log = '';

  private constructor(nodeId: string, proc: ChildProcess) {
    this.nodeId = nodeId;
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.#log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.#log += d.toString()));
  }

  get log(): string {
    return this.#log;
  }

  /**
   * Starts the node (as Redis's `sfu` user, like `make start`) and waits for its first heartbeat
   * in Redis. `rtcPorts`: its own UDP/TCP range.
   */
  static async start(
    redisServer: RedisServer,
    nodeId: string,
    rtcPorts: [number, number],
    env: Record<string, string> = {},
  ): Promise<SfuProcess> {
    const controlPort = await freePort();
    const proc = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        VISITA_SFU_NODE_ID: nodeId,
        VISITA_SFU_WORKERS: '1',
        VISITA_SFU_CONTROL_HOST: '127.0.0.1',
        VISITA_SFU_CONTROL_PORT: String(controlPort),
        VISITA_SFU_SECRET: SFU_SECRET,
        VISITA_RTC_LISTEN_IP: '127.0.0.1',
        VISITA_RTC_MIN_PORT: String(rtcPorts[0]),
        VISITA_RTC_MAX_PORT: String(rtcPorts[1]),
        VISITA_REDIS_URL: redisServer.urls.sfu,
        VISITA_LOG_LEVEL: process.env['VISITA_TEST_LOG'] ?? 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sfu = new SfuProcess(nodeId, proc);
    const redis = new Redis(redisServer.url);
    try {
      for (let i = 0; i < 200; i++) {
        if (proc.exitCode !== null) throw new Error(`SFU node ${nodeId} exited: ${sfu.log}`);
        if (await redis.exists(sfuNodeKey(nodeId))) return sfu;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`SFU node ${nodeId} did not start: ${sfu.log}`);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * Resolves with the exit code (null when killed by a signal) once the process has exited;
   * rejects with the node's log if it has not within `timeoutMs`.
   */
  exited(timeoutMs = 20_000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`SFU node ${this.nodeId} still running after ${timeoutMs} ms:\n${this.log}`)),
        timeoutMs,
      );
      this.proc.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await exited;
  }
}
