import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';

/** One key as read from Redis: its type, when it expires (ms since the epoch; null: never) and its value. */
export interface KeyDump {
  type: string;
  expiresAt: number | null;
  value: unknown;
}
export interface Dump {
  at: number;
  keys: Map<string, KeyDump>;
}

/**
 * Every key of a Redis (the administrator's connection): values by type, streams with their
 * entries and consumer groups, and expiry times. What a restart must give back.
 */
export async function dumpRedis(redis: Redis): Promise<Dump> {
  const at = Date.now();
  const keys = new Map<string, KeyDump>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      const [type, pttl] = await Promise.all([redis.type(key), redis.pttl(key)]);
      if (type === 'none') continue; // expired between SCAN and TYPE
      keys.set(key, {
        type,
        expiresAt: pttl >= 0 ? Date.now() + pttl : null,
        value: await readValue(redis, key, type),
      });
    }
  } while (cursor !== '0');
  return { at, keys };
}

async function readValue(redis: Redis, key: string, type: string): Promise<unknown> {
  switch (type) {
    case 'string':
      return (await redis.getBuffer(key))?.toString('base64');
    case 'hash':
      return Object.entries(await redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1));
    case 'set':
      return (await redis.smembers(key)).sort();
    case 'zset':
      return redis.zrange(key, '0', '-1', 'WITHSCORES');
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'stream': {
      const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
      return {
        entries: await redis.xrange(key, '-', '+'),
        groups: groups.map((g) => {
          const fields = new Map<unknown, unknown>();
          for (let i = 0; i < g.length; i += 2) fields.set(g[i], g[i + 1]);
          return { name: fields.get('name'), lastDelivered: fields.get('last-delivered-id') };
        }),
      };
    }
    default:
      throw new Error(`dumpRedis: unexpected type ${type} of ${key}`);
  }
}

export interface CompareOptions {
  /**
   * Keys a running platform rewrites by itself (presence, node heartbeats, claims, the Socket.IO
   * stream): they must still be there, but their values and expiry may have moved on.
   */
  live: RegExp[];
  /** Expiry times may differ by this much (ms). */
  ttlToleranceMs?: number;
}

/**
 * What `after` lost or changed of `before`: every key still there (unless it was about to expire),
 * of the same type; a record's value identical and its expiry within the tolerance; a stream's
 * entries from before still first in it (appending is allowed), a set's or sorted set's members
 * still in it with their scores (adding is allowed). Empty when nothing was lost.
 */
export function compareDumps(before: Dump, after: Dump, opts: CompareOptions): string[] {
  const tolerance = opts.ttlToleranceMs ?? 1_000;
  const problems: string[] = [];
  for (const [key, was] of before.keys) {
    const now = after.keys.get(key);
    const live = opts.live.some((p) => p.test(key));
    if (!now) {
      if (was.expiresAt !== null && was.expiresAt <= after.at + tolerance) continue; // expired meanwhile
      problems.push(`${key}: lost (${was.type})`);
      continue;
    }
    if (now.type !== was.type) {
      problems.push(`${key}: was a ${was.type}, now a ${now.type}`);
      continue;
    }
    if (was.type === 'stream') {
      const a = was.value as { entries: unknown[]; groups: unknown[] };
      const b = now.value as { entries: unknown[]; groups: unknown[] };
      if (!isDeepStrictEqual(b.entries.slice(0, a.entries.length), a.entries))
        problems.push(`${key}: stream entries lost or changed (${a.entries.length} before, ${b.entries.length} after)`);
      if (!live && !isDeepStrictEqual(a.groups, b.groups))
        problems.push(`${key}: consumer groups ${JSON.stringify(a.groups)} became ${JSON.stringify(b.groups)}`);
    } else if (was.type === 'set' || was.type === 'zset') {
      if (!live) problems.push(...lostMembers(key, was, now));
      // A member added since (a new consultation in a practitioner's open set) may carry the set's expiry further.
      if (!live && grew(was, now) && was.expiresAt !== null && now.expiresAt !== null && now.expiresAt > was.expiresAt)
        continue;
    } else if (!live && !isDeepStrictEqual(was.value, now.value)) {
      problems.push(`${key}: value changed (${JSON.stringify(was.value)} -> ${JSON.stringify(now.value)})`);
    }
    if (live) continue;
    if ((was.expiresAt === null) !== (now.expiresAt === null))
      problems.push(
        `${key}: expiry ${was.expiresAt === null ? 'none' : 'set'} became ${now.expiresAt === null ? 'none' : 'set'}`,
      );
    else if (was.expiresAt !== null && Math.abs(was.expiresAt - now.expiresAt!) > tolerance)
      problems.push(`${key}: expires ${now.expiresAt! - was.expiresAt} ms later than before`);
  }
  return problems;
}

/** The members (with their scores) of a set or sorted set that `now` no longer has. */
function lostMembers(key: string, was: KeyDump, now: KeyDump): string[] {
  const pairs = (d: KeyDump): Map<string, string> => {
    const v = d.value as string[];
    if (d.type === 'set') return new Map(v.map((m) => [m, '']));
    const m = new Map<string, string>();
    for (let i = 0; i < v.length; i += 2) m.set(v[i]!, v[i + 1]!);
    return m;
  };
  const after = pairs(now);
  return [...pairs(was)]
    .filter(([member, score]) => after.get(member) !== score)
    .map(([member, score]) =>
      after.has(member) ? `${key}: ${member} scored ${after.get(member)}, was ${score}` : `${key}: ${member} lost`,
    );
}

/** The keys a running platform rewrites by itself (see CompareOptions.live). */
export const LIVE_KEYS = [
  /^visita:presence:/,
  /^visita:conns:/,
  /^visita:sfu:/,
  /^visita:sfu-control/,
  /^visita:claim:/,
  /^visita:sio/,
  /^visita:rl:/,
  /^visita:autoscaler:/,
];

/** Whether a set or sorted set has members it did not have before. */
function grew(was: KeyDump, now: KeyDump): boolean {
  const members = (k: KeyDump) =>
    new Set(k.type === 'zset' ? (k.value as string[]).filter((_, i) => i % 2 === 0) : (k.value as string[]));
  const before = members(was);
  return [...members(now)].some((m) => !before.has(m));
}
