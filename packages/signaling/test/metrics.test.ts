import { afterAll, beforeAll, expect, it } from 'vitest';
import { SfuProcess } from './support/sfuProcess.ts';
import { TestStack, startCall } from './support/stack.ts';
import { freePort } from './support/redisServer.ts';

// The Prometheus metrics of a signaling instance and of an SFU node process, scraped as
// Prometheus would, on their internal ports (never on signaling's public port).
let stack: TestStack;
let node: SfuProcess;
let sfuMetricsPort: number;
beforeAll(async () => {
  stack = await TestStack.start({ env: { VISITA_METRICS_PORT: '0' } });
  await stack.sfu.setDraining(true); // the call goes to the node process
  sfuMetricsPort = await freePort();
  node = await SfuProcess.start(stack.redis, 'sfu-metrics', [55000, 55999], {
    VISITA_SFU_METRICS_PORT: String(sfuMetricsPort),
    VISITA_SFU_MAX_CONSUMERS: '40',
  });
});
afterAll(async () => {
  await node?.kill('SIGKILL');
  await stack?.stop();
});

const scrape = async (port: number): Promise<string> => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};
/** The value of a sample, matched by name and (a subset of) its labels. */
const value = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
};

it('counts sockets, calls, admissions, queue waits and refusals; the node counts its media and capacity', async () => {
  // A second in the waiting room before the admission (the queue-wait histogram sees it).
  const { consultationId, doctor, patient } = await startCall(stack, { beforeAdmitMs: 1_100 });
  await patient.raw('consultation:admit', { consultationId }); // refused: FORBIDDEN

  const sig = await scrape(stack.signaling.metricsPort!);
  expect(value(sig, 'visita_signaling_connected_sockets')).toBe(2);
  expect(value(sig, 'visita_signaling_calls_in_progress')).toBe(1);
  expect(value(sig, 'visita_signaling_sfu_nodes')).toBe(2);
  expect(value(sig, 'visita_signaling_admissions_total')).toBe(1);
  expect(value(sig, 'visita_signaling_queue_wait_seconds_count')).toBe(1);
  expect(value(sig, 'visita_signaling_queue_wait_seconds_sum')).toBeGreaterThanOrEqual(1);
  expect(value(sig, 'visita_signaling_requests_refused_total', { code: 'FORBIDDEN' })).toBe(1);
  expect(value(sig, 'visita_signaling_process_resident_memory_bytes')).toBeGreaterThan(0);

  const on = { node: 'sfu-metrics' };
  // The node hears each microphone's first packet a few milliseconds after the bot saw it leave.
  await expect
    .poll(async () => value(await scrape(sfuMetricsPort), 'visita_sfu_media_start_seconds_count', on))
    .toBe(2);
  const sfu = await scrape(sfuMetricsPort);
  expect(value(sfu, 'visita_sfu_rooms', on)).toBe(1);
  expect(value(sfu, 'visita_sfu_transports', on)).toBe(2);
  expect(value(sfu, 'visita_sfu_producers', on)).toBe(2);
  expect(value(sfu, 'visita_sfu_capacity_consumers', on)).toBe(40);
  expect(value(sfu, 'visita_sfu_draining', on)).toBe(0);
  expect(value(sfu, 'visita_sfu_workers', on)).toBe(1);
  expect(value(sfu, 'visita_sfu_worker_cpu_seconds', on)).toBeGreaterThan(0);
  // Both microphones sent real RTP (startCall's media bots): two media starts, packets counted in.
  expect(value(sfu, 'visita_sfu_media_start_seconds_count', on)).toBe(2);
  expect(value(sfu, 'visita_sfu_rtp_packets_total', { ...on, direction: 'in' })).toBeGreaterThan(0);
  // The call's audio up, once, after the room opened at the admission.
  expect(value(sfu, 'visita_sfu_call_audio_up_seconds_count', on)).toBe(1);
  expect(value(sfu, 'visita_sfu_call_audio_up_seconds_sum', on)).toBeGreaterThan(0);
  expect(value(sfu, 'visita_sfu_rtp_packets_lost_total', { ...on, direction: 'in' })).toBe(0);
  // Counted from deltas: a second scrape adds what came since, never the total again.
  const first = value(sfu, 'visita_sfu_rtp_packets_total', { ...on, direction: 'in' })!;
  await new Promise((r) => setTimeout(r, 300));
  const second = value(await scrape(sfuMetricsPort), 'visita_sfu_rtp_packets_total', { ...on, direction: 'in' })!;
  expect(second - first).toBeGreaterThan(10); // 2 × 50 packets/s for 0.3 s
  expect(second - first).toBeLessThan(first + 200);

  // Internal only: signaling's public port has no /metrics, and the metrics port serves nothing else.
  expect((await fetch(`${stack.signalingUrl}/metrics`)).status).toBe(404);
  expect((await fetch(`http://127.0.0.1:${stack.signaling.metricsPort}/api/consultations`)).status).toBe(404);
  await doctor.request('consultation:hangUp', { consultationId });
});
