import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, measuredCode, writeSection } from '../../../scripts/benchmarksDoc.ts';
import { RedisServer, freePort } from '../test/support/redisServer.ts';
import { Inspector } from './inspector.ts';
import {
  InProcessSfu,
  connectClient,
  createConsultation,
  login,
  seedDemoAccount,
  signalingEnv,
} from '../test/support/stack.ts';

// Signaling capacity on one core: N waiting patients (socket.io-client, in other processes on the
// other core) in one practitioner's waiting room; on each admit every remaining patient gets their
// new position. Prints connected sockets, RSS per socket and p50/p99 admit→position latency for each
// N, and writes them to docs/benchmarks.md.
const here = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env['BENCH_SIZES'] ?? '1000,5000,10000,19000').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const PER_CLIENT_PROCESS = 2_500;

const rssKb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const log = (m: string) => console.log(`[bench-capacity ${new Date().toISOString().slice(11, 19)}] ${m}`);

function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      if (m.type !== type) return;
      child.off('message', onMsg);
      resolve(m as T);
    };
    child.on('message', onMsg);
  });
}

async function run(n: number): Promise<{
  n: number;
  connected: number;
  rssPerSocketKb: number;
  rssKb: number;
  heapPerSocketKb: number;
  heapKb: number;
  p50: number;
  p99: number;
  samples: number;
  missing: number;
}> {
  const redis = await RedisServer.start();
  await seedDemoAccount(redis.url);
  const sfu = await InProcessSfu.start(redis.urls.sfu, 1, 'sfu-bench');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const inspectPort = await freePort();
  const metricsPort = await freePort();
  // Signaling alone on core 0; this driver, the SFU and the clients share core 1. Its inspector
  // (loopback, this namespace only) lets the bench collect garbage before reading memory.
  const signaling = spawn(
    'taskset',
    ['-c', '0', process.execPath, `--inspect=127.0.0.1:${inspectPort}`, join(here, '../src/main.ts')],
    {
      env: {
        ...process.env,
        ...signalingEnv(redis.urls.signaling, {
          VISITA_SIGNALING_PORT: String(port),
          VISITA_METRICS_PORT: String(metricsPort),
          VISITA_INSTANCE_ID: 'sig-bench',
          VISITA_LOG_LEVEL: 'warn',
          VISITA_CHECKIN_RATE: '10000',
          // One account creates every consultation of the bench (up to 19k).
          VISITA_CONSULTATION_RATE: '100000',
          VISITA_OPEN_CONSULTATIONS: '1000000',
          VISITA_PRESENCE_TTL_MS: '120000',
          VISITA_RECONNECT_GRACE_MS: '600000',
        }),
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  // The inspector's banner goes to stderr: pass everything else on.
  signaling.stderr?.on('data', (b: Buffer) => {
    const text = b.toString().replace(/^(Debugger listening on|Debugger ending on|For help, see).*\n/gm, '');
    if (text) process.stderr.write(text);
  });
  let inspector: Inspector | undefined;
  const clients: ChildProcess[] = [];
  try {
    for (
      let i = 0;
      !(await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      if (signaling.exitCode !== null || i > 100) throw new Error('signaling did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    inspector = await Inspector.connect(inspectPort);
    const baseHeapKb = await inspector.heapAfterGcKb();
    const baseKb = rssKb(signaling.pid!);
    const token = await login(url);
    log(`N=${n}: creating ${n} consultations`);
    const patients: Array<{ consultationId: string; patientToken: string }> = new Array(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < n) {
          const i = next++;
          const c = await createConsultation(url, token);
          patients[i] = { consultationId: c.consultationId, patientToken: c.patientToken };
        }
      }),
    );
    log(`N=${n}: connecting and checking in ${n} patients`);
    const groups = Math.ceil(n / PER_CLIENT_PROCESS);
    for (let g = 0; g < groups; g++) {
      const child = spawn('taskset', ['-c', '1', process.execPath, join(here, 'capacityClients.ts')], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      clients.push(child);
    }
    await Promise.all(
      clients.map((c, g) => {
        const ready = once<{ sockets: number }>(c, 'ready');
        c.send({
          type: 'connect',
          url,
          patients: patients.slice(g * PER_CLIENT_PROCESS, (g + 1) * PER_CLIENT_PROCESS),
        });
        return ready;
      }),
    );
    // The practitioner comes online (which updates every patient's status once), then all settles.
    const doctor = await connectClient(url, token);
    await new Promise((r) => setTimeout(r, 3_000));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const connected = Number(/^visita_signaling_connected_sockets\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    const heapKb = (await inspector.heapAfterGcKb()) - baseHeapKb;
    inspector.close(); // detached before the admits: their latency is measured without it
    const grownKb = rssKb(signaling.pid!) - baseKb;
    const rssPerSocketKb = grownKb / n;
    log(
      `N=${n}: ${connected} sockets connected, RSS +${(grownKb / 1024).toFixed(0)} MiB, JS heap after GC +${(heapKb / 1024).toFixed(0)} MiB`,
    );

    const latencies: number[] = [];
    let missing = 0;
    const admitted: string[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const target = patients[r - 1]!.consultationId;
      admitted.push(target);
      const t0 = Date.now();
      await Promise.all(
        clients.map((c) => {
          const armed = once(c, 'armed');
          c.send({ type: 'arm', round: r, t0, skip: admitted });
          return armed;
        }),
      );
      const results = clients.map((c) => once<{ latencies: number[]; missing: number }>(c, 'latencies'));
      const start = Date.now();
      const ack = await doctor.request('consultation:admit', { consultationId: target });
      if (!ack.ok) throw new Error(`admit failed: ${ack.code} ${ack.message}`);
      for (const res of await Promise.all(results)) {
        latencies.push(...res.latencies.map((l) => l - (start - t0)));
        missing += res.missing;
      }
      log(`N=${n} round ${r}: ${latencies.length} updates so far`);
    }
    return {
      n,
      connected,
      rssPerSocketKb,
      rssKb: grownKb,
      heapPerSocketKb: heapKb / n,
      heapKb,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      samples: latencies.length,
      missing,
    };
  } finally {
    inspector?.close();
    for (const c of clients) c.kill('SIGKILL');
    signaling.kill('SIGKILL');
    await sfu.stop();
    await redis.stop();
  }
}

const results: Array<Awaited<ReturnType<typeof run>>> = [];
// Each patient is a socket of the signaling process: N is bounded by its open-file limit.
const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
for (const n of SIZES) {
  if (n + 500 > fdLimit) {
    console.error(
      `N=${n} needs more than this machine's ${fdLimit} open files per process (ulimit -Hn; raising it needs CAP_SYS_RESOURCE): skipped`,
    );
    continue;
  }
  results.push(await run(n));
}
const table = [
  '| waiting patients | connected sockets | RSS per socket (marginal) | JS heap per socket after GC (marginal) | admit → position update p50 | p99 | updates measured (missing) |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r, i) => {
    // Marginal: the growth from the previous size to this one, per added socket.
    const prev = results[i - 1];
    const marginal = (now: number, before: number | undefined) =>
      prev && before !== undefined ? ` (${((now - before) / (r.n - prev.n)).toFixed(1)})` : '';
    return `| ${r.n} | ${r.connected} | ${r.rssPerSocketKb.toFixed(1)} KiB${marginal(r.rssKb, prev?.rssKb)} | ${r.heapPerSocketKb.toFixed(1)} KiB${marginal(r.heapKb, prev?.heapKb)} | ${r.p50} ms | ${r.p99} ms | ${r.samples} (${r.missing}) |`;
  }),
].join('\n');
writeSection(
  'Signaling capacity (`make bench-capacity`)',
  `One signaling instance pinned to one core (\`taskset -c 0\`) with Redis, the SFU node and the
socket.io-client processes on the other core. N patients check in to one practitioner's waiting
room; then ${ROUNDS} admits, each moving every remaining patient up: latency runs from sending the
admit to each remaining patient's \`waiting:position\` update (all of them, every round). Memory per
socket is the signaling process's growth divided by N, read after two full garbage collections
(through its inspector): resident memory, and the JS heap in use; in brackets the marginal cost,
from the previous size to this one.

Measured ${new Date().toISOString().slice(0, 10)} at ${measuredCode()} on: ${machine()}.

${table}`,
);
console.log(`\n${table}\n\nwritten to docs/benchmarks.md`);
process.exit(0);
