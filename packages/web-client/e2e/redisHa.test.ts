import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClient, createConsultation, login, waitForUsage, type TestClient } from '@visita/signaling/testing';
import { launchChromium, waitForMedia, watchFrames } from './support/browser.ts';
import { Platform } from './support/platform.ts';

// `VISITA_REDIS_HA=1 make start`: a primary, a replica and three sentinels. During a browser call,
// with two patients waiting and a stream of consultations being checked in, admitted and ended
// (audit records and metering facts), the primary is killed (SIGKILL), and later the new primary
// is frozen (SIGSTOP): each time writes resume within 10 s, the call's media never stops, the
// waiting patients keep their places, and every audit record and metering fact of an acknowledged
// request is there afterwards. The old primary comes back as a replica.
let platform: Platform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let redis: Redis;
const clients: TestClient[] = [];
beforeAll(async () => {
  // The load below is one account creating a consultation every few hundred ms for a minute: more
  // than a practice's 100 an hour (VISITA_CONSULTATION_RATE), which would stop it at the 101st.
  platform = await Platform.start({ env: { VISITA_REDIS_HA: '1', VISITA_CONSULTATION_RATE: '100000' } });
  redis = platform.adminRedis();
  ({ browser, close: closeBrowser } = await launchChromium());
});
afterAll(async () => {
  for (const c of clients) c.socket.close();
  await closeBrowser?.();
  redis?.disconnect();
  await platform?.dispose();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sentinel = () => {
  const [first] = platform.sentinels()!;
  const s = new Redis({
    ...first!,
    password: platform.secrets()['VISITA_REDIS_SENTINEL_PASSWORD']!,
    lazyConnect: true,
  });
  s.on('error', () => undefined);
  return s;
};
/** The data node (redis-1 or redis-2) the sentinels name as primary now. */
async function primaryNode(): Promise<string> {
  const s = sentinel();
  try {
    const [, port] = (await s.call('SENTINEL', 'get-master-addr-by-name', 'visita')) as [string, string];
    return Number(port) === platform.ports.redis ? 'redis-1' : 'redis-2';
  } finally {
    s.disconnect();
  }
}
/** INFO replication of a data node, read on its own port. */
async function roleOf(node: string): Promise<string> {
  const port = node === 'redis-1' ? platform.ports.redis : platform.ports.redis + 1;
  const r = new Redis({
    port,
    password: platform.secrets()['VISITA_REDIS_ADMIN_PASSWORD']!,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const info = await r.info('replication');
    return `${/role:(\w+)/.exec(info)?.[1]}${/master_link_status:(\w+)/.exec(info)?.[1] === 'up' ? ' (linked)' : ''}`;
  } catch {
    return 'down';
  } finally {
    r.disconnect();
  }
}

/**
 * Consultations checked in, admitted and ended one after the other, each request repeated until
 * answered (as a client does after UNAVAILABLE). Records each acknowledged write with the audit
 * record and metering fact it must have left. A request answered at its first try is certain; one
 * answered after a failed try is not (the failed try may have changed the state, leaving the
 * repeat nothing to do: that gap is the outbox's, issue 22) and is only counted.
 */
function workload(token: string) {
  const acked: Array<{ id: string; audit: string; fact?: string; at: number }> = [];
  let uncertain = 0;
  /** When each write was answered (first try or not): when writes went on. */
  const okAt: number[] = [];
  let running = true;
  const until = async <T>(f: () => Promise<T | null>): Promise<T> => {
    for (;;) {
      const v = await f().catch(() => null);
      if (v !== null) return v;
      await wait(300);
    }
  };
  // A client that is cut off (the server disconnects a socket that floods it with refused requests)
  // connects again, and a request has 6 s to be answered: it is asked again otherwise.
  let practitioner: TestClient | undefined;
  const doctor = async () => {
    if (!practitioner?.socket.connected) {
      practitioner?.socket.close();
      practitioner = await connectClient(platform.signalingUrl, token);
      clients.push(practitioner);
    }
    return practitioner;
  };
  const ask: TestClient['request'] = (...args) =>
    Promise.race([
      (async () => (await doctor()).request(...args))(),
      wait(6_000).then(() => {
        throw new Error('no answer');
      }),
    ]);
  /** Repeats `f` until it answers; whether it answered at its first try. */
  const firstTry = async <T>(f: () => Promise<T | null>): Promise<{ value: T; first: boolean }> => {
    let tries = 0;
    const value = await until(async () => {
      tries++;
      return f();
    });
    if (tries > 1) uncertain++;
    okAt.push(Date.now());
    return { value, first: tries === 1 };
  };
  const loop = (async () => {
    while (running) {
      const c = await until(() => createConsultation(platform.signalingUrl, token));
      const id = c.consultationId;
      let patient = await until(() => connectClient(platform.signalingUrl, c.patientToken));
      const checkIn = await firstTry(async () => {
        if (!patient.socket.connected) {
          patient.socket.close();
          patient = await connectClient(platform.signalingUrl, c.patientToken);
        }
        const ack = await Promise.race([
          patient.request('consultation:join', { consultationId: id, displayName: 'Load' }),
          wait(6_000).then(() => null),
        ]);
        return ack?.ok ? true : null;
      });
      if (checkIn.first) acked.push({ id, audit: 'checked_in', at: Date.now() });
      await until(async () => ((await ask('consultation:join', { consultationId: id })).ok ? true : null));
      // An admission answered while no media node is known (its heartbeat lapsed during a failover)
      // waits for capacity: not admitted yet, and maybe never before the hang-up.
      const admit = await firstTry(async () => {
        const ack = await ask('consultation:admit', { consultationId: id });
        return ack.ok ? ack.data : ack.code === 'INVALID_STATE' ? 'done before' : null;
      });
      const inCall = admit.first && typeof admit.value === 'object' && admit.value.state === 'in_call';
      if (inCall) acked.push({ id, audit: 'admitted', fact: 'admitted', at: Date.now() });
      const hangUp = await firstTry(async () => {
        const ack = await ask('consultation:hangUp', { consultationId: id });
        return ack.ok ? true : ack.code === 'INVALID_STATE' ? false : null;
      });
      if (hangUp.first && hangUp.value)
        acked.push({ id, audit: 'ended', ...(inCall ? { fact: 'ended' } : {}), at: Date.now() });
      patient.socket.close();
    }
  })();
  return {
    acked,
    uncertain: () => uncertain,
    stop: async () => {
      running = false;
      await loop;
      practitioner?.socket.close();
    },
    writesSince: (t: number) => okAt.filter((at) => at > t).length,
    /** The longest time without an acknowledged write within [from, to]. */
    longestGap(from: number, to: number): number {
      const times = [from, ...okAt.filter((t) => t >= from && t <= to), to].sort((a, b) => a - b);
      return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
    },
  };
}

it('fails over in seconds, twice (SIGKILL, then SIGSTOP of the primary): the call goes on, places kept, no record lost', async () => {
  expect(await primaryNode()).toBe('redis-1');
  await expect.poll(() => roleOf('redis-2'), { timeout: 15_000 }).toBe('slave (linked)');
  const token = await login(platform.signalingUrl, platform.login.email, platform.login.password);

  // A call between two pages, and two patients waiting.
  const context = async () => (await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' })).newPage();
  const [doctor, patient] = [await context(), await context()];
  await doctor.goto(platform.doctorUrl);
  await doctor.getByTestId('login-email').fill(platform.login.email);
  await doctor.getByTestId('login-password').fill(platform.login.password);
  await doctor.getByTestId('login-submit').click();
  const call = await createConsultation(platform.signalingUrl, token);
  await patient.goto(platform.link(call));
  await patient.getByTestId('patient-name').fill('Inès Moreau');
  await patient.getByTestId('enter-waiting-room').click();
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Inès Moreau' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  const mediaAt = Date.now();
  const waiting: string[] = [];
  for (const name of ['Hugo Petit', 'Léa Girard']) {
    const c = await createConsultation(platform.signalingUrl, token);
    const client = await connectClient(platform.signalingUrl, c.patientToken);
    clients.push(client);
    expect(
      (await client.request('consultation:join', { consultationId: c.consultationId, displayName: name })).ok,
    ).toBe(true);
    waiting.push(c.consultationId);
  }
  const practitionerId = (await redis.hget(`visita:consultation:${call.consultationId}`, 'practitionerId'))!;
  const queueOf = () => redis.zrange(`visita:queue:${practitionerId}`, '0', '-1');
  const load = workload(token);
  const media = watchFrames([patient, doctor]);
  await wait(5_000);
  const steady = await confirmations();

  const failover = async (how: 'SIGKILL' | 'SIGSTOP') => {
    const old = await primaryNode();
    const pid = platform.pid(old)!;
    // Killed, it stays down (a machine lost): its supervisor, which would start it again within a
    // second (quicker than a failover), is paused meanwhile.
    const supervisor = platform.supervisorPid(old);
    if (how === 'SIGKILL') process.kill(supervisor, 'SIGSTOP');
    const at = Date.now();
    process.kill(pid, how);
    // The sentinels name another primary, and writes go on there.
    await expect.poll(primaryNode, { timeout: 30_000, interval: 250 }).not.toBe(old);
    const promotedAt = Date.now();
    await expect.poll(() => load.writesSince(promotedAt), { timeout: 30_000 }).toBeGreaterThan(3);
    await wait(2_000);
    const gap = load.longestGap(at - 1_000, Date.now());
    console.log(
      `${how} of the primary (${old}): new primary named after ${promotedAt - at} ms; longest time without a write ${gap} ms`,
    );
    expect(gap).toBeLessThan(10_000);
    if (how === 'SIGSTOP') process.kill(pid, 'SIGCONT');
    else {
      process.kill(supervisor, 'SIGCONT');
      await platform.restarted(old, pid);
    }
    // The old primary comes back as a replica of the new one (the sentinels turn it into one).
    await expect.poll(() => roleOf(old), { timeout: 45_000, interval: 500 }).toBe('slave (linked)');
    // (behind them, the load's patient of the moment may be waiting too)
    expect((await queueOf()).slice(0, 2)).toEqual(waiting);
  };
  await failover('SIGKILL');
  await failover('SIGSTOP');
  await load.stop();
  const longestMediaGap = await media.stop();
  console.log(`longest time without a new video frame on either page: ${longestMediaGap} ms`);
  expect(longestMediaGap).toBeLessThan(1_500);

  // Every acknowledged write's audit record and metering fact is there.
  const audit = new Set(
    (await redis.xrange(`visita:audit:p:${practitionerId}`, '-', '+')).map(([, f]) => {
      const get = (k: string) => f[f.indexOf(k) + 1];
      return `${get('consultationId')}:${get('action')}`;
    }),
  );
  const missingAudit = load.acked.filter((a) => !audit.has(`${a.id}:${a.audit}`));
  const missingFacts: string[] = [];
  for (const a of load.acked)
    if (a.fact && !(await redis.exists(`visita:metering:key:${a.id}:${a.fact}`)))
      missingFacts.push(`${a.id}:${a.fact}`);
  console.log(
    `${load.acked.length} writes acknowledged at their first try (${new Set(load.acked.map((a) => a.id)).size} consultations; ` +
      `${load.uncertain()} more answered after a failed try, not counted); missing audit records: ${missingAudit.length}, ` +
      `missing metering facts: ${missingFacts.length}`,
  );
  expect(missingAudit).toEqual([]);
  expect(missingFacts).toEqual([]);

  // The admin CLI finds the primary of the day through the sentinels, as an operator runs it.
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  execFileSync(
    join(root, 'bin/visita'),
    ['practitioner', 'add', '--email', 'after@visita.test', '--name', 'Dr After', '--password-env', 'PW'],
    {
      env: { ...process.env, PW: 'a password after two failovers', VISITA_STATE_DIR: platform.stateDir },
    },
  );
  expect(await login(platform.signalingUrl, 'after@visita.test', 'a password after two failovers')).toMatch(/^ey/);

  // The call, across both failovers: hung up, billed for its media.
  const hangUpAt = Date.now();
  await doctor.getByTestId('hang-up').click();
  await patient.getByTestId('ended').waitFor({ timeout: 15_000 });
  const { billableMs } = await waitForUsage(platform.signalingUrl, token, call.consultationId, 10_000);
  console.log(`media ${hangUpAt - mediaAt} ms, billed ${billableMs} ms`);
  expect(Math.abs(billableMs - (hangUpAt - mediaAt))).toBeLessThan(2_000);
  // What the replica's confirmation (WAIT) costs: nobody waits for it, but a write is held until
  // then. Steady (before the failovers) and overall.
  const overall = await confirmations();
  console.log(`replica confirmation, steady: ${steady.summary}; overall: ${overall.summary}`);
  expect(steady.total).toBeGreaterThan(0);
});

/** The time from a durable write to its replica's confirmation, from signaling's histogram. */
async function confirmations(): Promise<{ total: number; summary: string }> {
  // Once more on a connection closed under it: the keep-alive connection of the previous call may
  // be closed by the server just as it is reused (a loaded machine's timers run late).
  const url = `http://127.0.0.1:${platform.ports.metrics}/metrics`;
  const metrics = await (await fetch(url).catch(() => fetch(url))).text();
  const buckets = [
    ...metrics.matchAll(/visita_signaling_durable_confirm_seconds_bucket\{le="([^"]+)"[^}]*\} (\d+)/g),
  ].map((m) => [m[1]!, Number(m[2])] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  const q = (p: number) => buckets.find(([, n]) => n >= p * total)?.[0];
  return { total, summary: `${total} writes, p50 <= ${q(0.5)} s, p95 <= ${q(0.95)} s, p99 <= ${q(0.99)} s` };
}
