// The surge's verdict and report: reads what the run left in SURGE_RUN (Artillery's JSON, the
// practitioner bots', the browser calls' samples, the autoscaler's log) and Prometheus (the same
// queries as KEDA's scaler), judges against the thresholds, writes report.html (uPlot plots) and,
// for the full profile, docs/surge.md. Exits 1 when a threshold is missed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { measuredCode } from '../scripts/benchmarksDoc.ts';
import { instant, range } from './prom.ts';

const RUN = process.env['SURGE_RUN'] ?? '.state/surge-full';
const PROFILE = process.env['SURGE_PROFILE'] ?? 'full';
const ROOT = resolve(import.meta.dirname, '..');
const read = (f: string) => (existsSync(join(RUN, f)) ? readFileSync(join(RUN, f), 'utf8') : null);
const json = <T>(f: string): T | null => {
  const t = read(f);
  return t ? (JSON.parse(t) as T) : null;
};
const from = Number(read('started-at')) - 10_000;
const to = Number(read('ended-at')) || Date.now();

interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, { p50: number; p95: number; p99: number; count: number; max: number }>;
  };
}
const patients = json<ArtilleryReport>('patients.json');
const calls = json<ArtilleryReport>('calls.json');
const doctors = json<{
  admitted: number;
  delayed: number;
  delayedEnded: number;
  admissions: Array<{ capacityWaitMs: number }>;
  dropped: Array<{ consultationId: string; reason: string }>;
  errors: string[];
}>('doctors.json');
const callSamples = (read('calls.jsonl') ?? '')
  .split('\n')
  .filter(Boolean)
  .map(
    (l) =>
      JSON.parse(l) as {
        admitAt: number;
        firstFrameMs: number;
        billedMs: number;
        windowMs: [number, number];
        billingOk: boolean;
      },
  );
const autoscalerLog = (read('stack/logs/autoscaler.log') ?? '')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map(
    (l) => JSON.parse(l) as { msg: string; time: number; drained?: boolean; code?: number | null; startupMs?: number },
  );

// ---- time series (Prometheus) ----
const q = {
  waiting: 'max(visita_autoscaler_waiting_patients)',
  inCall: 'max(visita_autoscaler_demand_calls)',
  admissionsWaiting: 'max(visita_signaling_admissions_waiting_for_capacity)',
  desired: 'max(visita_autoscaler_desired_sfu_nodes)',
  serving: 'max(visita_autoscaler_serving_sfu_nodes)',
  starting: 'max(visita_autoscaler_starting_sfu_nodes)',
  draining: 'max(visita_autoscaler_draining_sfu_nodes)',
  rooms: 'visita_sfu_rooms',
  queueWaitP95: 'histogram_quantile(0.95, sum by (le) (rate(visita_signaling_queue_wait_seconds_bucket[30s])))',
  capacityWaitP95:
    'histogram_quantile(0.95, sum by (le) (rate(visita_signaling_admission_capacity_wait_seconds_bucket[30s])))',
  signalingCpu: 'sum(rate(visita_signaling_process_cpu_seconds_total[5s]))',
  sfuCpu: 'sum(rate(visita_sfu_process_cpu_seconds_total[5s])) + sum(rate(visita_sfu_worker_cpu_seconds[5s]))',
  audioUpP95: 'histogram_quantile(0.95, sum by (le) (rate(visita_sfu_call_audio_up_seconds_bucket[60s])))',
  refused: 'sum by (code) (rate(visita_signaling_requests_refused_total[5s]))',
};
const one = async (query: string) => (await range(query, from, to))[0]?.points ?? [];
const [
  waiting,
  inCall,
  admissionsWaiting,
  desired,
  serving,
  starting,
  draining,
  rooms,
  queueWaitP95,
  capacityWaitP95,
  signalingCpu,
  sfuCpu,
  audioUpP95,
  refused,
] = await Promise.all([
  one(q.waiting),
  one(q.inCall),
  one(q.admissionsWaiting),
  one(q.desired),
  one(q.serving),
  one(q.starting),
  one(q.draining),
  range(q.rooms, from, to),
  one(q.queueWaitP95),
  one(q.capacityWaitP95),
  one(q.signalingCpu),
  one(q.sfuCpu),
  one(q.audioUpP95),
  range(q.refused, from, to),
]);
const moves = (await instant('sum(visita_signaling_media_moves_total)')) ?? 0;
const delayedTotal = (await instant('sum(visita_signaling_admissions_delayed_total)')) ?? 0;

// ---- scale-out: demand above the serving nodes → a node that was not there carries a call ----
const at = (pts: Array<[number, number]>, t: number) => pts.find(([x]) => x === t)?.[1] ?? null;
const scaleOuts: Array<{ crossedAt: number; carriedAt: number | null; seconds: number | null; node: string | null }> =
  [];
// A node answers one scale-out only (one started for an earlier crossing may be scraped after the next).
const attributed = new Set<string>();
for (let i = 0; i < desired.length; i++) {
  const [t, want] = desired[i]!;
  const have = at(serving, t);
  const prevWant = i > 0 ? desired[i - 1]![1] : 0;
  const prevHave = i > 0 ? (at(serving, desired[i - 1]![0]) ?? 0) : 0;
  if (have === null || want <= have || prevWant > prevHave) continue; // not a rising edge
  const before = new Set([
    ...attributed,
    ...rooms.filter((s) => s.points.some(([x]) => x < t)).map((s) => s.labels['node']!),
  ]);
  let carried: { t: number; node: string } | null = null;
  for (const s of rooms) {
    const node = s.labels['node']!;
    if (before.has(node)) continue;
    const first = s.points.find(([x, v]) => x >= t && v > 0);
    if (first && (!carried || first[0] < carried.t)) carried = { t: first[0], node };
  }
  if (carried) attributed.add(carried.node);
  scaleOuts.push({
    crossedAt: t,
    carriedAt: carried?.t ?? null,
    seconds: carried ? carried.t - t : null,
    node: carried?.node ?? null,
  });
}
const counted = scaleOuts.filter((s) => s.seconds !== null);
const drainedOk = autoscalerLog.filter((l) => l.msg === 'autoscaler: node drained and stopped').length;
const unexpected = autoscalerLog.filter((l) => l.msg === 'autoscaler: SFU node exited unexpectedly').length;
const startups = autoscalerLog.filter((l) => l.msg === 'autoscaler: node serving').map((l) => l.startupMs ?? 0);

// ---- verdict ----
const c = patients?.aggregate.counters ?? {};
const ack = patients?.aggregate.summaries['visita.checkin_ack_ms'];
const frame = calls?.aggregate.summaries['visita.admit_to_first_frame_ms'];
const dropped = (doctors?.dropped.length ?? 0) + (calls?.aggregate.counters['vusers.failed'] ?? 0);
const browserPlanned = Number(process.env['SURGE_BROWSER_CALLS'] ?? 0);
type Check = { name: string; threshold: string; value: string; pass: boolean };
const checks: Check[] = [
  {
    name: 'failed check-ins',
    threshold: '0',
    value: `${c['vusers.failed'] ?? 0} of ${c['vusers.created'] ?? 0} (${c['visita.checkins_ok'] ?? 0} acknowledged ok; ${c['visita.position_updates'] ?? 0} position updates and ${c['visita.patients_admitted'] ?? 0} admissions received)`,
    pass:
      patients !== null &&
      (c['vusers.failed'] ?? 0) === 0 &&
      (c['visita.checkins_ok'] ?? 0) === (c['vusers.created'] ?? -1),
  },
  {
    name: 'check-in ack p95',
    threshold: '≤ 200 ms',
    value: ack ? `${ack.p95} ms (p50 ${ack.p50}, max ${ack.max}, n ${ack.count})` : 'none',
    pass: ack !== undefined && ack.p95 <= 200,
  },
  {
    name: 'admit → first frame p95 (browser calls)',
    threshold: '≤ 1 s',
    value: frame
      ? `${frame.p95} ms (max ${frame.max}, n ${frame.count} of ${browserPlanned})`
      : browserPlanned
        ? 'none'
        : 'not in this profile',
    pass: browserPlanned === 0 || (frame !== undefined && frame.p95 <= 1_000 && frame.count === browserPlanned),
  },
  {
    name: 'dropped calls',
    threshold: '0',
    value: `${dropped} (bot calls ${doctors?.admitted ?? 0}, browser calls ${callSamples.length}; moved between nodes: ${moves})`,
    pass: doctors !== null && dropped === 0,
  },
  {
    name: 'admissions when full: wait, then the call starts by itself',
    threshold: 'every one started (or its patient left)',
    value: (() => {
      const waited = (doctors?.admissions ?? []).filter((a) => a.capacityWaitMs > 0).map((a) => a.capacityWaitMs);
      return `${doctors?.delayed ?? 0} waited for capacity: ${waited.length} started by themselves (longest ${Math.max(0, ...waited)} ms), ${doctors?.delayedEnded ?? 0} ended first`;
    })(),
    pass:
      doctors !== null &&
      doctors.delayed === (doctors.admissions ?? []).filter((a) => a.capacityWaitMs > 0).length + doctors.delayedEnded,
  },
  {
    name: 'practitioner bots working (logged in, no request failed)',
    threshold: '0 errors',
    value: doctors
      ? `${doctors.errors.length} errors${doctors.errors.length ? `: ${doctors.errors.slice(0, 3).join('; ')}` : ''}`
      : 'no report',
    pass: doctors !== null && doctors.errors.length === 0,
  },
  {
    name: 'calls billed within ±1 s (browser calls, real media)',
    threshold: 'all',
    value: browserPlanned
      ? `${callSamples.filter((s) => s.billingOk).length} of ${callSamples.length}`
      : 'not in this profile',
    pass: browserPlanned === 0 || (callSamples.length === browserPlanned && callSamples.every((s) => s.billingOk)),
  },
  {
    name: 'scale-out: demand over capacity → new node carrying calls',
    threshold: '≤ 30 s',
    value: counted.length
      ? `${counted.map((s) => `${s.seconds} s`).join(', ')} (${scaleOuts.length} scale-out(s))`
      : 'no scale-out seen',
    pass: counted.length > 0 && counted.every((s) => s.seconds! <= 30) && counted.length === scaleOuts.length,
  },
  {
    name: 'scale-in through drain',
    threshold: '≥ 1 node drained, exit 0',
    value: `${drainedOk} drained and stopped, ${unexpected} exited otherwise; back to ${serving.at(-1)?.[1] ?? '?'} node(s)`,
    pass: drainedOk > 0 && unexpected === 0,
  },
];
const rc = (f: string) => (read(f) ?? '').trim();
checks.unshift({
  name: "Artillery's own thresholds (ensure)",
  threshold: 'exit 0',
  value: `patients ${rc('patients.rc') || 'not run'}${browserPlanned ? `, browser calls ${rc('calls.rc') || 'not run'}` : ''}`,
  pass: rc('patients.rc') === '0' && (browserPlanned === 0 || rc('calls.rc') === '0'),
});
const pass = checks.every((x) => x.pass);
const lines = checks.map((x) => `${x.pass ? 'PASS' : 'FAIL'}  ${x.name}: ${x.value} (threshold ${x.threshold})`);
console.log(`\nsurge (${PROFILE}) verdict: ${pass ? 'PASS' : 'FAIL'}\n${lines.join('\n')}`);
console.log(
  `admissions that waited for capacity: ${delayedTotal}; node start-ups: ${startups.join(', ')} ms; peak waiting ${Math.max(0, ...waiting.map((p) => p[1]))}, peak calls ${Math.max(0, ...inCall.map((p) => p[1]))}, peak nodes ${Math.max(0, ...serving.map((p) => p[1]))}`,
);

// ---- HTML report (uPlot, MIT, inlined) ----
const require = createRequire(import.meta.url);
const uplotDir = dirname(require.resolve('uplot/package.json'));
const uplotJs = readFileSync(join(uplotDir, 'dist/uPlot.iife.min.js'), 'utf8');
const uplotCss = readFileSync(join(uplotDir, 'dist/uPlot.min.css'), 'utf8');
const t0 = Math.floor(from / 1000);
const xs = Array.from({ length: Math.floor((to - from) / 1000) + 1 }, (_, i) => t0 + i);
const align = (pts: Array<[number, number]>) => {
  const m = new Map(pts.map(([t, v]) => [Math.round(t), Number.isFinite(v) ? v : null]));
  return xs.map((t) => m.get(t) ?? null);
};
const plots: Array<{ title: string; unit: string; series: Array<{ label: string; data: Array<number | null> }> }> = [
  {
    title: 'Waiting room and calls',
    unit: 'patients',
    series: [
      { label: 'waiting', data: align(waiting) },
      { label: 'in a call', data: align(inCall) },
      { label: 'admissions waiting for capacity', data: align(admissionsWaiting) },
    ],
  },
  {
    title: 'Waits (p95)',
    unit: 's',
    series: [
      { label: 'check-in → admission', data: align(queueWaitP95) },
      { label: 'admission → call (waiting for capacity)', data: align(capacityWaitP95) },
    ],
  },
  {
    title: 'SFU nodes (the autoscaler; max(visita_autoscaler_desired_sfu_nodes) is what KEDA reads)',
    unit: 'nodes',
    series: [
      { label: 'desired', data: align(desired) },
      { label: 'serving', data: align(serving) },
      { label: 'starting', data: align(starting) },
      { label: 'draining', data: align(draining) },
    ],
  },
  {
    title: 'Calls per SFU node',
    unit: 'rooms',
    series: rooms.map((s) => ({ label: s.labels['node'] ?? '?', data: align(s.points) })),
  },
  {
    title: 'CPU',
    unit: 'cores',
    series: [
      { label: 'signaling', data: align(signalingCpu) },
      { label: 'SFU nodes (processes + workers)', data: align(sfuCpu) },
    ],
  },
  {
    title: 'Join latency',
    unit: 's',
    series: [
      { label: 'room opened → both microphones up, p95 (SFU)', data: align(audioUpP95) },
      {
        label: 'admit → first frame (browser calls)',
        data: xs.map((t) => {
          const s = callSamples.find((x) => Math.round(x.admitAt / 1000) === t);
          return s ? s.firstFrameMs / 1000 : null;
        }),
      },
    ],
  },
  {
    title: 'Refused requests (errors)',
    unit: 'per s',
    series: refused.length
      ? refused.map((s) => ({ label: s.labels['code'] ?? '?', data: align(s.points) }))
      : [{ label: 'none', data: xs.map(() => 0) }],
  },
];
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Visita surge (${PROFILE}) — ${pass ? 'PASS' : 'FAIL'}</title>
<style>${uplotCss} body{font:14px system-ui,sans-serif;margin:2rem;max-width:1000px} td,th{padding:.2rem .6rem;text-align:left} .PASS{color:#1a7f37} .FAIL{color:#b02a1e}</style></head><body>
<h1>Visita surge (${PROFILE}): <span class="${pass ? 'PASS' : 'FAIL'}">${pass ? 'PASS' : 'FAIL'}</span></h1>
<p>${new Date(from + 10_000).toISOString()} — ${Math.round((to - from) / 1000)} s. Time series from Prometheus (scrape 1 s).</p>
<table><tr><th></th><th>check</th><th>value</th><th>threshold</th></tr>${checks
  .map(
    (x) =>
      `<tr><td class="${x.pass ? 'PASS' : 'FAIL'}">${x.pass ? 'PASS' : 'FAIL'}</td><td>${x.name}</td><td>${x.value}</td><td>${x.threshold}</td></tr>`,
  )
  .join('')}</table>
<div id="plots"></div>
<script>${uplotJs}</script>
<script>
const xs = ${JSON.stringify(xs)};
const plots = ${JSON.stringify(plots)};
const palette = ${JSON.stringify(palette)};
for (const p of plots) {
  const h = document.createElement('h2'); h.textContent = p.title + ' (' + p.unit + ')';
  const div = document.createElement('div');
  document.getElementById('plots').append(h, div);
  new uPlot({ width: 960, height: 240, series: [{}].concat(p.series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2, spanGaps: false, points: { show: s.data.filter((v) => v !== null).length < 60, size: 7 } }))) },
    [xs].concat(p.series.map((s) => s.data)), div);
}
</script></body></html>`;
writeFileSync(join(RUN, 'report.html'), html);
console.log(`report: ${join(RUN, 'report.html')}`);

// ---- docs/surge.md (full profile) ----
// (SURGE_WRITE_DOC=0: a trial run that must not replace the recorded one; =1: any profile writes it)
const writeDoc =
  process.env['SURGE_WRITE_DOC'] === '1' || (PROFILE === 'full' && process.env['SURGE_WRITE_DOC'] !== '0');
if (writeDoc) {
  const spark = (pts: Array<[number, number]>, width = 60) => {
    const vals = align(pts).filter((v): v is number => v !== null);
    if (vals.length === 0) return '';
    const max = Math.max(...vals, 1e-9);
    const bars = '▁▂▃▄▅▆▇█';
    const step = Math.max(1, Math.ceil(vals.length / width));
    let out = '';
    for (let i = 0; i < vals.length; i += step)
      out += bars[Math.min(7, Math.floor((Math.max(...vals.slice(i, i + step)) / max) * 7.999))];
    return `\`${out}\` (max ${Math.round(max * 100) / 100})`;
  };
  const doc = `# Surge rehearsal (\`make surge\`)

One run of \`make surge\` at ${measuredCode()} on this machine (Debian bookworm, 2 cores), ${new Date(from + 10_000).toISOString().slice(0, 16)} UTC:
the whole platform with the autoscaler (local provider) at its minimum, a compressed flu-season
curve of patients checking in (Artillery 2, Socket.IO), ${process.env['SURGE_DOCTORS_N'] ?? '?'} practitioner bots admitting and holding
calls of ${Number(process.env['SURGE_CALL_MS'] ?? 0) / 1000} s, ${browserPlanned} real browser calls (Artillery's Playwright engine, Chromium with a
fake camera and microphone), Prometheus scraping every process each second. SFU nodes are kept small
(\`VISITA_SFU_MAX_CONSUMERS=${process.env['VISITA_SFU_MAX_CONSUMERS']}\`, one worker) so that a surge this machine can carry needs several;
the autoscaler's bounds are ${process.env['VISITA_AUTOSCALE_MIN_NODES']}–${process.env['VISITA_AUTOSCALE_MAX_NODES']} nodes, cooldown ${process.env['VISITA_AUTOSCALE_COOLDOWN_S']} s.
The HTML report with the plots is written to \`.state/surge-full/report.html\` (not committed).

## Verdict: ${pass ? 'PASS' : 'FAIL'}

| | check | value | threshold |
|---|---|---|---|
${checks.map((x) => `| ${x.pass ? 'PASS' : 'FAIL'} | ${x.name} | ${x.value} | ${x.threshold} |`).join('\n')}

Admissions that waited for capacity: ${delayedTotal}. Node start-ups (spawn → serving): ${startups.join(', ')} ms.
Scale-outs (demand crossed the serving nodes → a new node carried a call): ${scaleOuts.map((s) => `${new Date(s.crossedAt * 1000).toISOString().slice(11, 19)} → ${s.node ?? 'none'} in ${s.seconds ?? '—'} s`).join('; ') || 'none'}.

## Over time (one character ≈ ${Math.max(1, Math.ceil(xs.length / 60))} s)

| series | shape |
|---|---|
| patients waiting | ${spark(waiting)} |
| in a call | ${spark(inCall)} |
| SFU nodes desired | ${spark(desired)} |
| SFU nodes serving | ${spark(serving)} |
| SFU nodes draining | ${spark(draining)} |
| CPU, SFU nodes (cores) | ${spark(sfuCpu)} |
| CPU, signaling (cores) | ${spark(signalingCpu)} |

## What this rehearsal does not show

- The practitioner bots' calls open a room on a node and hold it, with no media: they load
  signaling, placement and the autoscaler, not the SFU's forwarding. Real media comes from the
  browser calls, at most two at a time on this machine (\`make bench-sfu\` measures forwarding).
- Admissions that wait for capacity happen only when calls outrun the autoscaler; this run had
  ${delayedTotal}. That path is covered by \`packages/signaling/test/autoscaler.test.ts\` (real SFU processes).
- One machine: the nodes share 2 cores, start in about a second (a Kubernetes pod takes longer:
  the autoscaler's lead time is 2 min there), and the load generator shares the machine.

Queries (Prometheus, the same as KEDA's trigger for the nodes): ${Object.entries(q)
    .map(([k, v]) => `${k}: \`${v}\``)
    .join('; ')}.
`;
  writeFileSync(join(ROOT, 'docs/surge.md'), doc);
  console.log('docs/surge.md written');
}
process.exit(pass ? 0 : 1);
