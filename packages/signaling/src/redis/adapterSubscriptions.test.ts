import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.ts';
import { withAnsweredSubscriptions } from './adapterSubscriptions.ts';

// A Redis that accepts connections and never answers: a connection slower than a command's time
// limit, as a loaded machine gives the Socket.IO adapter's subscriber at start.
let silent: Server;
const sockets: Socket[] = [];
let port = 0;
beforeAll(async () => {
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

it("handles a duplicate's SUBSCRIBE that is not answered in time (logged, never an unhandled rejection)", async () => {
  const redis = new Redis({ host: '127.0.0.1', port, commandTimeout: 100, enableReadyCheck: false, lazyConnect: true });
  const warn = vi.fn();
  const log = { warn } as unknown as Logger;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  let copy: Redis | undefined;
  try {
    // As the adapter does: duplicate at once, subscribe without awaiting the answer.
    copy = withAnsweredSubscriptions(redis, log, () => redis.duplicate());
    copy.on('error', () => undefined);
    void copy.subscribe('socket.io#/#');
    await new Promise((r) => setTimeout(r, 400));
    expect(unhandled).toEqual([]);
    expect(warn).toHaveBeenCalledWith({ err: 'Command timed out' }, expect.stringContaining('not answered'));
    // Only what `make` duplicated is wrapped: the client's own duplicate is itself again.
    expect(redis.duplicate).toBe(Redis.prototype.duplicate);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    copy?.disconnect();
    redis.disconnect();
  }
});
