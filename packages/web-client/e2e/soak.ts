import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { machine, measuredCode, writeSection } from '../../../scripts/benchmarksDoc.ts';
import { E2EStack } from './support/stack.ts';

// Soak: consultations cycling in headless Chromium through the real stack (signaling and the SFU
// node in this process, real mediasoup workers, a real redis-server) for SOAK_MINUTES (30) or
// SOAK_CALLS calls. After each call (and a full garbage collection) it samples every process's
// memory and descriptors, Redis keys and memory, and the SFU's rooms, transports, producers and
// consumers; then prints each resource's growth per call, early and late, and fails on SFU objects
// left behind or on growth that does not level off. Writes its table to docs/benchmarks.md.
const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 30);
const MAX_CALLS = Number(process.env['SOAK_CALLS'] ?? Number.POSITIVE_INFINITY);
const HOLD_MS = Number(process.env['SOAK_HOLD_MS'] ?? 3_000);
/** Calls after which a heap snapshot is written (e.g. "40,120"), for scripts/heapDiff.ts. */
const SNAPSHOTS = new Set((process.env['SOAK_HEAP_SNAPSHOTS'] ?? '').split(',').filter(Boolean).map(Number));
/**
 * The driver's pages are replaced after this many calls: Playwright keeps every request, response,
 * WebSocket and handle of a page until the page closes (a heap-snapshot diff over 90 calls found
 * them, 2 navigations and 6 handles a call, as all of the process's growth).
 */
const PAGE_LIFETIME_CALLS = 10;
const log = (m: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

const statusKb = (pid: number, field: string): number =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const gc = (globalThis as { gc?: () => void }).gc;

/** A resource, how to read it, and how much growth per call is still "levelled off". */
interface Resource {
  name: string;
  unit: string;
  read: () => Promise<number> | number;
  /** Late growth per call tolerated; undefined: reported only (data kept by design). */
  maxLatePerCall?: number;
}

// Hundreds of consultations an hour from one account: past a practice's limit (100 an hour).
const e2e = await E2EStack.start({ env: { VISITA_CONSULTATION_RATE: '100000' } });
const { stack } = e2e;
const redis = stack.signaling.redis;
const redisPid = stack.redis.pid!;
const resources: Resource[] = [
  {
    name: 'signaling + SFU node process RSS',
    unit: 'KiB',
    read: () => statusKb(process.pid, 'VmRSS'),
    maxLatePerCall: 64,
  },
  {
    name: 'signaling + SFU node JS heap (after GC)',
    unit: 'KiB',
    read: () => process.memoryUsage().heapUsed / 1024,
    maxLatePerCall: 32,
  },
  { name: 'signaling + SFU node descriptors', unit: 'fds', read: () => fds(process.pid), maxLatePerCall: 0.05 },
  {
    name: 'mediasoup workers RSS',
    unit: 'KiB',
    read: () => stack.pool.workers.reduce((s, w) => s + statusKb(w.pid, 'VmRSS'), 0),
    maxLatePerCall: 64,
  },
  {
    name: 'mediasoup workers descriptors',
    unit: 'fds',
    read: () => stack.pool.workers.reduce((s, w) => s + fds(w.pid), 0),
    maxLatePerCall: 0.05,
  },
  { name: 'redis-server RSS', unit: 'KiB', read: () => statusKb(redisPid, 'VmRSS') },
  { name: 'Redis keys', unit: 'keys', read: () => redis.dbsize() },
  {
    name: 'Redis used memory',
    unit: 'KiB',
    read: async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1024,
  },
  {
    name: 'Socket.IO connections',
    unit: 'sockets',
    read: () => stack.signaling.io.engine.clientsCount,
    maxLatePerCall: 0.05,
  },
];
const leftovers = ['rooms', 'transports', 'producers', 'consumers'] as const;

const samples: number[][] = [];
const left: string[] = [];
const started = Date.now();
let calls = 0;
try {
  const pages = async () => {
    const [d, p] = await Promise.all([e2e.page(), e2e.page()]);
    await e2e.doctorCreatesConsultation(d.page); // logs the doctor in (the session stays in the tab)
    return { doctor: d.page, patient: p.page, close: () => Promise.all([d.context.close(), p.context.close()]) };
  };
  let { doctor, patient, close } = await pages();
  // The driver's own API token lives 15 minutes, like any access token: it logs in again every 10.
  let token = await stack.login();
  let loggedInAt = Date.now();
  while (calls < MAX_CALLS && Date.now() - started < MINUTES * 60_000) {
    calls++;
    if (calls % PAGE_LIFETIME_CALLS === 0) {
      await close();
      ({ doctor, patient, close } = await pages());
    }
    if (Date.now() - loggedInAt > 10 * 60_000) {
      token = await stack.login();
      loggedInAt = Date.now();
    }
    const { consultationId, patientToken } = await stack.createConsultation(token);
    await doctor.goto(`${e2e.webUrl}/?c=${consultationId}`);
    await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
    await patient.getByTestId('patient-name').fill(`Patient ${calls}`);
    await patient.getByTestId('enter-waiting-room').click();
    await doctor.locator('[data-testid=admit]:not([disabled])').waitFor();
    await doctor.getByTestId('admit').click();
    const firstFrames = await Promise.all(
      [patient, doctor].map((p) =>
        p.waitForFunction(() => window.__visitaFirstFrameAt ?? null, undefined, { timeout: 30_000 }),
      ),
    );
    await Promise.all(firstFrames.map((h) => h.dispose()));
    await new Promise((r) => setTimeout(r, HOLD_MS));
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
    await new Promise((r) => setTimeout(r, 500));
    const status = stack.node.status();
    for (const k of leftovers) if (status[k] !== 0) left.push(`call ${calls}: ${status[k]} ${k} left on the SFU node`);
    gc?.();
    if (SNAPSHOTS.has(calls))
      log(`heap snapshot: ${writeHeapSnapshot(join(tmpdir(), `visita-soak-${calls}.heapsnapshot`))}`);
    samples.push(await Promise.all(resources.map((r) => r.read())));
    if (calls % 10 === 0) log(`${calls} calls, ${Math.round((Date.now() - started) / 1000)} s`);
  }
} finally {
  await e2e.stop();
}

/** Least-squares growth per call over samples[from, to). */
const slope = (col: number, from: number, to: number): number => {
  const pts = samples.slice(from, to).map((s, i) => [i, s[col]!] as const);
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  const num = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return num / den;
};
// Early: the first half of the calls (warm-up included); late: the second half.
const half = Math.floor(samples.length / 2);
const failures = [...left];
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const rows = resources.map((r, i) => {
  const first = samples[0]?.[i] ?? 0;
  const last = samples.at(-1)?.[i] ?? 0;
  const early = slope(i, 0, half);
  const late = slope(i, half, samples.length);
  const verdict = r.maxLatePerCall === undefined ? 'kept by design' : late <= r.maxLatePerCall ? 'levels off' : 'GROWS';
  if (verdict === 'GROWS')
    failures.push(`${r.name}: +${fmt(late)} ${r.unit} per call late in the run (max ${r.maxLatePerCall})`);
  return `| ${r.name} | ${fmt(first)} → ${fmt(last)} ${r.unit} | ${fmt(early)} | ${fmt(late)} | ${verdict} |`;
});
const table = [
  '| resource | after the first call → after the last | growth per call, first half | second half | verdict |',
  '|---|---|---|---|---|',
  ...rows,
].join('\n');
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const outcome = failures.length === 0 ? 'passed' : `FAILED: ${failures.slice(0, 5).join('; ')}`;
console.log(`\n${calls} calls in ${minutes} min\n\n${table}\n\nsoak ${outcome}`);
if (process.env['SOAK_WRITE'] !== '0' && calls >= 20) {
  writeSection(
    'Soak (`make soak`)',
    `Consultations cycling in headless Chromium (two pages, fake camera and microphone, ${HOLD_MS / 1000} s of
media each) through the real stack: signaling and the SFU node in one process (with the web server and the
driver's Playwright client, whose pages are replaced every ${PAGE_LIFETIME_CALLS} calls: Playwright keeps a page's
requests and handles until it closes), mediasoup workers, redis-server. After each call and a full garbage collection: every process's memory and descriptors,
Redis keys and memory, and the SFU node's objects (all must be 0 between calls). Growth per call is a
least-squares slope over each half of the run; "kept by design" are records Visita keeps (consultations,
audit, metering, usage) until their retention.

Measured ${new Date().toISOString().slice(0, 10)} at ${measuredCode()} on: ${machine()}; ${calls} calls in ${minutes} min; ${outcome}.

${table}`,
  );
  console.log('written to docs/benchmarks.md');
}
process.exit(failures.length === 0 ? 0 : 1);
