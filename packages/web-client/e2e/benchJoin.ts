import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { mediasoupVersion } from '@visita/sfu';
import { machine, measuredCode, writeSection } from '../../../scripts/benchmarksDoc.ts';
import { E2EStack } from './support/stack.ts';

// Join-latency benchmark: N consecutive consultations in headless Chromium through the real stack.
// For each: admit click -> first remote video frame shown, on the patient side and on the doctor
// side, and the CPU time the SFU's mediasoup workers spent on the call (held HOLD_MS after the
// first frame). Prints the figures and writes docs/benchmarks.md.
const CALLS = Number(process.env['BENCH_CALLS'] ?? 20);
const HOLD_MS = Number(process.env['BENCH_HOLD_MS'] ?? 5_000);

const firstFrame = async (page: Page, timeoutMs = 30_000): Promise<number> => {
  const handle = await page.waitForFunction(() => window.__visitaFirstFrameAt ?? null, undefined, {
    timeout: timeoutMs,
    polling: 10,
  });
  return (await handle.jsonValue()) as number;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const e2e = await E2EStack.start();
const workerCount = e2e.stack.pool.workers.length;
const workersCpuMs = async () => {
  let t = 0;
  for (const w of e2e.stack.pool.workers) {
    const u = await w.getResourceUsage();
    t += u.ru_utime + u.ru_stime;
  }
  return t;
};
const patientSide: number[] = [];
const doctorSide: number[] = [];
const cpuPerCall: number[] = [];
try {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  await e2e.doctorCreatesConsultation(doctor); // logs the doctor in (the session stays in the tab)
  const token = await e2e.stack.login();
  for (let i = 1; i <= CALLS; i++) {
    const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
    await doctor.goto(`${e2e.webUrl}/consultations/${consultationId}`);
    await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
    await patient.getByTestId('patient-name').fill(`Patient ${i}`);
    await patient.getByTestId('enter-waiting-room').click();
    await doctor.getByTestId('patient-waiting').waitFor();
    await doctor.locator('[data-testid=admit]:not([disabled])').waitFor();
    const cpu0 = await workersCpuMs();
    const clickAt = Date.now();
    await doctor.getByTestId('admit').click();
    const [p, d] = await Promise.all([firstFrame(patient), firstFrame(doctor)]);
    patientSide.push(p - clickAt);
    doctorSide.push(d - clickAt);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
    cpuPerCall.push((await workersCpuMs()) - cpu0);
    console.log(
      `call ${String(i).padStart(2)}: first frame patient ${p - clickAt} ms, doctor ${d - clickAt} ms, SFU CPU ${cpuPerCall.at(-1)} ms`,
    );
  }
} finally {
  await e2e.stop();
}

const chromium = execFileSync(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', ['--version'], {
  stdio: ['ignore', 'pipe', 'ignore'],
})
  .toString()
  .trim();
const rows = [
  ['admit → first remote frame, patient side', `${pct(patientSide, 50)} ms`, `${pct(patientSide, 95)} ms`],
  ['admit → first remote frame, doctor side', `${pct(doctorSide, 50)} ms`, `${pct(doctorSide, 95)} ms`],
  [
    `SFU worker CPU per call (${HOLD_MS / 1000} s of media after the first frame)`,
    `${pct(cpuPerCall, 50)} ms`,
    `${pct(cpuPerCall, 95)} ms`,
  ],
];
const table = ['| measure | p50 | p95 |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
writeSection(
  'Join latency (`make bench-join`)',
  `${CALLS} consecutive consultations, each a doctor page and a patient page in one headless Chromium
(fake 640x480 camera and fake microphone) over HTTPS, through one SFU node (${workerCount} mediasoup worker) and one
signaling instance on loopback, in a loopback-only network namespace. Latency runs from the
doctor's click on "Admit" to the first remote video frame presented (requestVideoFrameCallback) on
each page; both include signaling, transports, DTLS, the first key frame and decoding. CPU is the
mediasoup workers' user+system time from the click to hang-up.

Measured ${new Date().toISOString().slice(0, 10)} at ${measuredCode()} on: ${machine()}, mediasoup ${mediasoupVersion}, ${chromium}.

${table}`,
);
console.log(`\n${table}\n\nwritten to docs/benchmarks.md`);
process.exit(0);
