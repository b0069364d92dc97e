import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';

/** Visita's Redis settings (AOF, timestamps): restored data is loaded with the configuration it will run with. */
export const REDIS_CONF = resolve(import.meta.dirname, '../../../../infra/redis/redis.conf');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A redis-server of its own on a data directory (loopback, a free port, one administrator with a
 * random password), to load what a restore produced: `use` runs with a connection to it, then it
 * shuts down cleanly (its AOF flushed). `appendonly: false` loads a `dump.rdb` instead of the AOF.
 */
export async function withScratchRedis<T>(
  dir: string,
  use: (redis: Redis) => Promise<T>,
  opts: { appendonly?: boolean } = {},
): Promise<T> {
  const password = randomBytes(16).toString('hex');
  const acl = join(dir, '.scratch.acl');
  writeFileSync(acl, `user default on #${createHash('sha256').update(password).digest('hex')} ~* &* +@all\n`, {
    mode: 0o600,
  });
  const port = await freePort();
  let log = '';
  const proc = spawn(
    'redis-server',
    [
      REDIS_CONF,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--aclfile',
      acl,
      '--appendonly',
      opts.appendonly === false ? 'no' : 'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server could not load ${dir}:\n${log.slice(-2000)}`);
      try {
        await redis.connect();
        if ((await redis.info('persistence')).includes('loading:0')) break;
        redis.disconnect();
      } catch {
        redis.disconnect();
      }
      if (i > 3_000) throw new Error(`redis-server did not finish loading ${dir} within 5 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await use(redis);
    await redis.call('SHUTDOWN').catch(() => undefined); // the connection closes as it stops
    await exited;
    return result;
  } finally {
    redis.disconnect();
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(acl, { force: true });
  }
}
