import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, type types } from 'mediasoup';
import { machine, measuredCode, writeSection } from '../../../scripts/benchmarksDoc.ts';
import { mediaCodecs } from '../src/mediaCodecs.ts';
import { AUDIO_PT, RtpReceiver, RtpSender, VIDEO_PT, drive, forwardingDelaysUs } from './rtpBots.ts';

// SFU capacity on one core: N concurrent 1:1 consultations through ONE mediasoup worker pinned to
// core 0, the bots (this process) and the capture on core 1. Each consultation is a router with, per
// side, a PlainTransport its microphone and camera come in by and one the other side's two streams
// go out by: 4 producers and 4 consumers. N steps up until a receiver loses more than 1 % of what was
// sent. Prints and writes to docs/benchmarks.md: loss, the worker's CPU, and the forwarding delay
// (a packet's capture going in → the same packet going out, on loopback).
const STEPS = (process.env['BENCH_SFU_STEPS'] ?? '50,100,150,200,250,300,350,400').split(',').map(Number);
const SECONDS = Number(process.env['BENCH_SFU_SECONDS'] ?? 8);
/** Consultations whose packets are captured for the delay (all of them would load the capture's core). */
const CAPTURED = 4;
const LOSS_LIMIT = 0.01;
/** Past this share of planned packets not sent in time, a step measures the bots, not the SFU. */
const BEHIND_LIMIT = 0.01;
const DELAY_GOAL_US = 5_000;

const listenInfo = { protocol: 'udp', ip: '127.0.0.1' } as const;
/** A process's CPU time (user + system, ms) from /proc: read at once, whatever the process is busy with. */
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

interface Side {
  sender: RtpSender;
  receiver: RtpReceiver;
  ingressPort: number;
  receiverPort: number;
}

async function side(router: types.Router, ssrcBase: number): Promise<Side & { producers: types.Producer[] }> {
  const ingress = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
  const sender = new RtpSender(ingress.tuple.localPort, ssrcBase);
  await sender.bind();
  const producers = [
    await ingress.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: sender.audioSsrc }],
      },
    }),
    await ingress.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }],
        encodings: [{ ssrc: sender.videoSsrc }],
      },
    }),
  ];
  const receiver = new RtpReceiver();
  const receiverPort = await receiver.bind();
  return { sender, receiver, ingressPort: ingress.tuple.localPort, receiverPort, producers };
}

/** One consultation: two sides, each consuming the other's microphone and camera. */
async function consultation(worker: types.Worker, i: number): Promise<{ router: types.Router; sides: Side[] }> {
  const router = await worker.createRouter({ mediaCodecs });
  const a = await side(router, 10_000 + i * 4);
  const b = await side(router, 10_002 + i * 4);
  for (const [to, from] of [
    [a, b],
    [b, a],
  ] as const) {
    const egress = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await egress.connect({ ip: '127.0.0.1', port: to.receiverPort });
    for (const p of from.producers) await egress.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities });
  }
  return { router, sides: [a, b] };
}

interface StepResult {
  n: number;
  consumers: number;
  sentPerSecond: number;
  /** Share of the planned packets the bots could not send in time. */
  behind: number;
  loss: number;
  workerCpu: number;
  botsCpu: number;
  delays: number[];
}

async function step(worker: types.Worker, n: number, dir: string): Promise<StepResult> {
  const calls = [];
  for (let i = 0; i < n; i++) calls.push(await consultation(worker, i));
  const sides = calls.flatMap((c) => c.sides);
  const sampled = calls.slice(0, CAPTURED).flatMap((c) => c.sides);
  const into = new Set(sampled.map((s) => s.ingressPort));
  const outOf = new Set(sampled.map((s) => s.receiverPort));
  const pcap = join(dir, `step-${n}.pcap`);
  const filter = `udp and (${[...into, ...outOf].map((p) => `dst port ${p}`).join(' or ')})`;
  const capture = spawn(
    'taskset',
    ['-c', '1', 'tcpdump', '-i', 'lo', '-n', '-s', '128', '-U', '--time-stamp-precision=micro', '-w', pcap, filter],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve) => capture.stderr.on('data', (d: Buffer) => d.includes('listening') && resolve()));

  const stop = drive(sides.map((s) => s.sender));
  // One second to settle (first key frames), then the measured window.
  await new Promise((r) => setTimeout(r, 1_000));
  const sent0 = sides.reduce((t, s) => t + s.sender.sent, 0);
  const recv0 = sides.reduce((t, s) => t + s.receiver.received, 0);
  const skipped0 = sides.reduce((t, s) => t + s.sender.skipped, 0);
  const cpu0 = cpuMs(worker.pid);
  const bots0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1_000));
  const elapsed = performance.now() - t0;
  const cpu1 = cpuMs(worker.pid);
  const bots = process.cpuUsage(bots0);
  const sent = sides.reduce((t, s) => t + s.sender.sent, 0) - sent0;
  const skipped = sides.reduce((t, s) => t + s.sender.skipped, 0) - skipped0;
  stop();
  await new Promise((r) => setTimeout(r, 300)); // what is in flight arrives
  const received = sides.reduce((t, s) => t + s.receiver.received, 0) - recv0;
  capture.kill('SIGINT');
  await new Promise((r) => capture.once('exit', r));

  const delays = forwardingDelaysUs(pcap, into, outOf);
  rmSync(pcap, { force: true });
  for (const c of calls) {
    c.router.close();
    for (const s of c.sides) {
      s.sender.close();
      s.receiver.close();
    }
  }
  return {
    n,
    consumers: n * 4,
    sentPerSecond: Math.round((sent * 1000) / elapsed),
    behind: skipped / (sent + skipped),
    loss: Math.max(0, 1 - received / sent),
    workerCpu: (cpu1 - cpu0) / elapsed,
    botsCpu: (bots.user + bots.system) / 1000 / elapsed,
    delays,
  };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

const HEADER = [
  'consultations',
  'consumers',
  'packets/s in',
  'bots behind',
  'loss',
  'worker CPU (one core)',
  'CPU per consultation',
  'forwarding delay p50 / p99',
  'bots CPU',
];
const cells = (r: StepResult): string[] => [
  String(r.n),
  String(r.consumers),
  String(r.sentPerSecond),
  `${fmt(r.behind * 100, 2)} %`,
  `${fmt(r.loss * 100, 2)} %`,
  `${fmt(r.workerCpu * 100)} %`,
  `${fmt((r.workerCpu * 100) / r.n, 2)} %`,
  `${fmt(pct(r.delays, 50) / 1000, 2)} / ${fmt(pct(r.delays, 99) / 1000, 2)} ms`,
  `${fmt(r.botsCpu * 100)} %`,
];

async function main(): Promise<void> {
  const worker = await createWorker({ logLevel: 'error' });
  execFileSync('taskset', ['-pc', '0', String(worker.pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-apc', '1', String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'visita-bench-sfu-'));
  const results: StepResult[] = [];
  console.log(`one mediasoup worker (pid ${worker.pid}) on core 0, bots on core 1; ${SECONDS} s per step`);
  console.log(HEADER.join(' | '));
  for (const n of STEPS) {
    const r = await step(worker, n, dir);
    results.push(r);
    console.log(cells(r).join(' | '));
    if (r.loss > LOSS_LIMIT || r.behind > BEHIND_LIMIT) break;
  }
  const dump = await worker.dump();
  worker.close();
  rmSync(dir, { recursive: true, force: true });
  report(results, dump.routerIds.length);
}

function report(results: StepResult[], routersLeft: number): void {
  const measured = results.filter((r) => r.behind <= BEHIND_LIMIT);
  const best = measured.filter((r) => r.loss <= LOSS_LIMIT).at(-1);
  const failed = measured.find((r) => r.loss > LOSS_LIMIT);
  const stoppedByBots = results.find((r) => r.behind > BEHIND_LIMIT);
  const p99 = (r: StepResult): number => pct(r.delays, 99);
  const withinDelay = measured.filter((r) => r.loss <= LOSS_LIMIT && p99(r) <= DELAY_GOAL_US).at(-1);
  const lines = [
    `Run ${new Date().toISOString().slice(0, 10)} at ${measuredCode()} on ${machine()}: \`make bench-sfu\` (packages/sfu/bench/capacity.ts).`,
    'One mediasoup worker pinned to core 0; the RTP bots (plain RTP over UDP on loopback: Opus 50 packets/s, VP8 30 fps in 3 × 1,000-byte packets ≈ 720 kbit/s, a key frame every 2 s, each stream on its own phase from a 1 ms timer) and a tcpdump capture pinned to core 1.',
    `Each consultation: one router, per side a PlainTransport in (microphone + camera) and one out (the other side's two streams): 4 producers, 4 consumers. ${SECONDS} s measured per step after 1 s of warm-up. Loss: packets the receivers got against packets sent. Delay: kernel capture time of a packet going into the SFU → the same packet (payload mark) coming out, ${CAPTURED} consultations per step. "Bots behind": planned packets the bots' core could not send in time (over ${fmt(BEHIND_LIMIT * 100, 0)} %, a step measures the bots, not the SFU, and the run stops).`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---:').join('|')}|`,
    ...results.map((r) => `| ${cells(r).join(' | ')} |`),
    '',
    best
      ? `**Consumers per worker core at <1 % loss: ${best.consumers}${failed ? '' : ' or more'}** (${best.n} consultations, worker at ${fmt(best.workerCpu * 100)} % of its core; goal ≥500 ${best.consumers >= 500 ? 'met' : 'missed'}).`
      : '**No step stayed under 1 % loss.**',
    withinDelay
      ? `**Within the delay goal (p99 ≤5 ms): ${withinDelay.consumers} consumers** (${withinDelay.n} consultations: p50 ${fmt(pct(withinDelay.delays, 50) / 1000, 2)} ms, p99 ${fmt(p99(withinDelay) / 1000, 2)} ms, worker at ${fmt(withinDelay.workerCpu * 100)} %); goal ≥500 consumers with p99 ≤5 ms ${withinDelay.consumers >= 500 ? 'met' : 'missed'}.`
      : '**No step kept the forwarding delay p99 within 5 ms.**',
    failed
      ? `${failed.n} consultations lost ${fmt(failed.loss * 100, 2)} %.`
      : stoppedByBots
        ? `The run stopped at ${stoppedByBots.n} consultations: the bots fell ${fmt(stoppedByBots.behind * 100, 1)} % behind on their core, so the worker's loss limit lies beyond what this 2-core machine can offer it.`
        : 'No step went over 1 % loss (the steps stopped there).',
    `Worker CPU per consultation ${results.map((r) => `${fmt((r.workerCpu * 100) / r.n, 2)} %`).join(', ')} of a core: about linear in the consumers.`,
    `After the run the worker's dump shows ${routersLeft} routers (no leaked objects: transports, producers and consumers belong to routers).`,
  ];
  console.log(`\n${lines.join('\n')}`);
  writeSection('SFU capacity (one worker, one core)', lines.join('\n'));
  if (routersLeft !== 0) process.exitCode = 1;
}

await main();
