import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const REDIS_DIR = resolve(import.meta.dirname, '../../../../infra/redis');
/** The production configuration every test Redis runs with (the file `make start` and infra/k8s use). */
export const REDIS_CONF = join(REDIS_DIR, 'redis.conf');
export const REDIS_USERS = ['default', 'signaling', 'sfu', 'replica', 'sentinel'] as const;
export type RedisUser = (typeof REDIS_USERS)[number];

/**
 * infra/redis/users.acl.template with each user's password hash, without its comments (an ACL
 * file has none): what scripts/redis.sh writes.
 */
export function renderAcl(passwords: Record<RedisUser, string>): string {
  return readFileSync(join(REDIS_DIR, 'users.acl.template'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) =>
      line.replace(/\{\{(\w+)\}\}/g, (_, user: string) => {
        const password = passwords[user as RedisUser];
        if (password === undefined) throw new Error(`users.acl.template names an unknown user ${user}`);
        return createHash('sha256').update(password).digest('hex');
      }),
    )
    .join('\n')
    .concat('\n');
}

/**
 * A real redis-server on a free loopback port with the production configuration: infra/redis's
 * settings (AOF, timestamps, no eviction) and its ACL users, each with a password, in a temporary
 * directory. `url` is the administrator's (the default user); services connect as their own users
 * (`urls.signaling`, `urls.sfu`), as they do under `make start`.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly passwords: Record<RedisUser, string>;
  /** The primary this one copies (a replica with the same users), if any. */
  readonly primary: RedisServer | undefined;
  #proc: ChildProcess | undefined;

  private constructor(port: number, dir: string, primary?: RedisServer) {
    this.port = port;
    this.dir = dir;
    this.primary = primary;
    this.passwords =
      primary?.passwords ??
      (Object.fromEntries(REDIS_USERS.map((u) => [u, randomBytes(16).toString('hex')])) as Record<RedisUser, string>);
    writeFileSync(join(dir, 'users.acl'), renderAcl(this.passwords), { mode: 0o600 });
  }

  /** The redis-server process id (for resource sampling, or a test's own signal). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** The administrator's URL (every right): for a test's own reads and writes. */
  get url(): string {
    return this.urlAs('default');
  }

  /** Each service's URL, as `make start` hands them out. */
  get urls(): { signaling: string; sfu: string } {
    return { signaling: this.urlAs('signaling'), sfu: this.urlAs('sfu') };
  }

  urlAs(user: RedisUser): string {
    return `redis://${user}:${this.passwords[user]}@127.0.0.1:${this.port}`;
  }

  /** `replicaOf`: a replica of that primary, as `VISITA_REDIS_HA=1 make start` runs one. */
  static async start(opts: { replicaOf?: RedisServer } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'visita-redis-')), opts.replicaOf);
    await server.#spawn();
    return server;
  }

  async #spawn(): Promise<void> {
    const proc = spawn(
      'redis-server',
      [
        REDIS_CONF,
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--aclfile',
        join(this.dir, 'users.acl'),
        ...(this.primary
          ? [
              '--replicaof',
              '127.0.0.1',
              String(this.primary.port),
              '--masteruser',
              'replica',
              '--masterauth',
              this.passwords.replica,
            ]
          : []),
      ],
      { stdio: 'ignore' },
    );
    this.#proc = proc;
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server is up: expected while polling
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('redis-server did not start within 5 s');
  }

  /** Stops (`signal`: SIGTERM flushes the AOF; SIGKILL does not) and starts again on the same port and data. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.#kill(signal);
    await this.#spawn();
  }

  /** Stops it (its data kept) until `up()`: Redis down, for as long as a test needs. */
  down(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.#kill(signal);
  }

  /** Starts it again on the same port and data after `down()`. */
  up(): Promise<void> {
    return this.#spawn();
  }

  async #kill(signal: NodeJS.Signals): Promise<void> {
    const proc = this.#proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    }
  }

  async stop(): Promise<void> {
    await this.#kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
