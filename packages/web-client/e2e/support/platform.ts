import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from '@visita/signaling/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface PlatformPorts {
  redis: number;
  signaling: number;
  control: number;
  web: number;
  metrics: number;
  turn: number;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/**
 * The README's first command as a person runs it: `make start` in its own process group, on free
 * ports and a state directory of its own, with what it printed (links, login) read back. `stop()`
 * is Ctrl-C (SIGINT to the group). Several runs can share a state directory (a restart).
 */
export class Platform {
  readonly ports: PlatformPorts;
  readonly stateDir: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  #out = '';
  #ownsState: boolean;

  private constructor(ports: PlatformPorts, stateDir: string, ownsState: boolean, proc: ChildProcess) {
    this.ports = ports;
    this.stateDir = stateDir;
    this.#ownsState = ownsState;
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.#out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.#out += d.toString()));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** Everything `make start` printed so far. */
  get out(): string {
    return this.#out;
  }

  /**
   * `env`: the user's settings (VISITA_SFU_NODES...). `again`: a platform stopped before, whose
   * ports and state directory this run takes over. `buildWeb`: build the web client as a user's
   * first run does (otherwise the build `make test` made is used, VISITA_WEB_BUILT=1).
   */
  static async start(
    opts: { env?: Record<string, string>; again?: Platform; buildWeb?: boolean; rtcBase?: number } = {},
  ): Promise<Platform> {
    const ports = opts.again?.ports ?? {
      redis: await freePort(),
      signaling: await freePort(),
      control: await freePort(),
      web: await freePort(),
      metrics: await freePort(),
      turn: await freePort(),
    };
    const stateDir = opts.again?.stateDir ?? mkdtempSync(join(tmpdir(), 'visita-start-'));
    const rtcBase = opts.rtcBase ?? 41_000;
    const proc = spawn('make', ['--no-print-directory', 'start'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        VISITA_LAN_IP: '127.0.0.1',
        VISITA_STATE_DIR: stateDir,
        VISITA_REDIS_PORT: String(ports.redis),
        VISITA_SIGNALING_PORT: String(ports.signaling),
        VISITA_SFU_CONTROL_PORT: String(ports.control),
        VISITA_WEB_PORT: String(ports.web),
        VISITA_METRICS_PORT: String(ports.metrics),
        VISITA_RTC_MIN_PORT: String(rtcBase),
        VISITA_RTC_MAX_PORT: String(rtcBase + 999),
        VISITA_TURN_PORT: String(ports.turn),
        VISITA_TURN_MIN_PORT: '49800',
        VISITA_TURN_MAX_PORT: '49899',
        ...(opts.buildWeb ? {} : { VISITA_WEB_BUILT: '1' }),
        ...opts.env,
      },
    });
    const platform = new Platform(ports, stateDir, true, proc);
    if (opts.again) opts.again.#ownsState = false;
    const deadline = Date.now() + 120_000;
    while (!platform.out.includes('Stop:')) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await platform.kill();
        throw new Error(`make start did not come up:\n${platform.out}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return platform;
  }

  get doctorUrl(): string {
    return /Doctor:\s+(\S+)/.exec(this.#out)![1]!;
  }
  get patientLink(): string {
    return /Patient link:\s+(\S+)/.exec(this.#out)![1]!;
  }
  get login(): { email: string; password: string } {
    const m = /login (\S+)\s+\/\s+password (\S+)/.exec(this.#out)!;
    return { email: m[1]!, password: m[2]! };
  }
  get signalingUrl(): string {
    return `http://127.0.0.1:${this.ports.signaling}`;
  }

  /** The secrets `make start` generated (state dir, secrets.env). */
  secrets(): Record<string, string> {
    return Object.fromEntries(
      readFileSync(join(this.stateDir, 'secrets.env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  /**
   * A connection to its Redis as the administrator (the default user): to the primary through the
   * sentinels with VISITA_REDIS_HA=1 (following a failover), else to its one Redis.
   */
  adminRedis(): Redis {
    const sentinels = this.sentinels();
    const secrets = this.secrets();
    const r = sentinels
      ? new Redis({
          sentinels,
          name: 'visita',
          password: secrets['VISITA_REDIS_ADMIN_PASSWORD']!,
          sentinelPassword: secrets['VISITA_REDIS_SENTINEL_PASSWORD']!,
          failoverDetector: true,
          retryStrategy: (n: number) => Math.min(100 * n, 1_000),
          sentinelRetryStrategy: (n: number) => Math.min(100 * n, 1_000),
          maxRetriesPerRequest: 1,
        })
      : new Redis({
          port: this.ports.redis,
          host: '127.0.0.1',
          password: secrets['VISITA_REDIS_ADMIN_PASSWORD']!,
          maxRetriesPerRequest: 1,
        });
    r.on('error', () => undefined); // while Redis restarts or fails over
    return r;
  }

  /** The sentinels (VISITA_REDIS_HA=1), as `make start` wrote them for bin/visita; undefined without. */
  sentinels(): Array<{ host: string; port: number }> | undefined {
    const line = readFileSync(join(this.stateDir, 'redis.env'), 'utf8').match(/^VISITA_REDIS_SENTINELS=(.+)$/m)?.[1];
    return line?.split(',').map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) }));
  }

  /** The pid of a service now (its supervisor's pid file): redis, signaling, web, coturn, sfu-local-1... */
  pid(service: string): number | undefined {
    try {
      return Number(readFileSync(join(this.stateDir, 'pids', `${service}.pid`), 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  }

  /** The pid of a service's supervisor (the parent of its process). */
  supervisorPid(service: string): number {
    const pid = this.pid(service);
    const status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    if (!ppid) throw new Error(`no supervisor found for ${service}`);
    return ppid;
  }

  /**
   * Takes Redis away for `ms`: its supervisor is paused (SIGSTOP) and redis-server killed, then the
   * supervisor resumes and starts it again (after its 1-s back-off). Resolves when Redis answers.
   */
  async redisOutage(ms: number, during?: () => Promise<void>): Promise<{ lostAt: number; backAt: number }> {
    const supervisor = this.supervisorPid('redis');
    const pid = this.pid('redis')!;
    process.kill(supervisor, 'SIGSTOP');
    process.kill(pid, 'SIGKILL');
    const lostAt = Date.now();
    try {
      await Promise.all([during?.(), new Promise((r) => setTimeout(r, ms))]);
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await this.restarted('redis', pid);
    const redis = this.adminRedis();
    try {
      for (;;) {
        if (
          await redis.ping().then(
            () => true,
            () => false,
          )
        )
          return { lostAt, backAt: Date.now() };
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      redis.disconnect();
    }
  }

  /** A patient link of this platform (its web port) for a consultation created through the API. */
  link(c: { consultationId: string; patientToken: string }): string {
    return `https://127.0.0.1:${this.ports.web}/c/${c.consultationId}#t=${c.patientToken}`;
  }

  /** Kills a service's process with `signal`; resolves with its pid. */
  kill(service: string, signal: NodeJS.Signals): number;
  kill(): Promise<void>;
  kill(service?: string, signal?: NodeJS.Signals): number | Promise<void> {
    if (service === undefined) {
      // The whole group, at once (a test that failed: nothing may be left running).
      try {
        if (this.proc.pid) process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      return this.exited.then(() => undefined);
    }
    const pid = this.pid(service);
    if (!pid) throw new Error(`no pid for ${service}`);
    process.kill(pid, signal!);
    return pid;
  }

  /** Waits until the supervisor has started `service` again (a pid other than `old`); resolves with it. */
  async restarted(service: string, old: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = this.pid(service);
      if (pid && pid !== old && this.#out.includes(`${service} restarted (pid ${pid})`)) return pid;
      if (Date.now() > deadline) throw new Error(`${service} was not restarted:\n${this.#out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ctrl-C: SIGINT to the process group, then waits for `make start` to end. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) process.kill(-this.proc.pid!, 'SIGINT');
    await this.exited;
  }

  /**
   * Whatever happened, nothing left running (Ctrl-C first, as a person would; then SIGKILL to the
   * group), and the state directory removed (unless a later run took it).
   */
  async dispose(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      await Promise.race([this.stop(), new Promise((r) => setTimeout(r, 20_000))]);
      await this.kill();
    }
    // VISITA_KEEP_STATE=1 keeps it (logs, Redis data) to look into a failure.
    if (process.env['VISITA_KEEP_STATE'] === '1') console.error(`[platform] state kept in ${this.stateDir}`);
    else if (this.#ownsState) rmSync(this.stateDir, { recursive: true, force: true });
  }
}
