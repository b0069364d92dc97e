import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForUsage } from '@visita/signaling/testing';
import { SfuProcess } from '@visita/signaling/testing/sfuProcess';
import { E2EStack } from './support/stack.ts';
import { billingStartWindow } from './support/billing.ts';
import { firstAudioSent, freshMedia, inboundStats, markSession, waitForMedia } from './support/browser.ts';

// A consultation survives the loss of its media node, in two real browsers: the node process
// hosting the call is killed with SIGKILL; both pages rebuild their media on another node by
// themselves. The time from the kill to media on both sides is printed (goal: 3 s).
let e2e: E2EStack;
const nodes: SfuProcess[] = [];
beforeAll(async () => {
  e2e = await E2EStack.start();
  // Calls go to the two node processes: the in-process node announces it is draining.
  await e2e.stack.sfu.setDraining(true);
  nodes.push(
    await SfuProcess.start(e2e.stack.redis, 'sfu-a', [50000, 50999]),
    await SfuProcess.start(e2e.stack.redis, 'sfu-b', [51000, 51999]),
  );
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await e2e?.stop();
});

it('brings media back on both sides after the SIGKILL of the call’s node, by itself', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  const { consultationId, patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await patient.goto(patientLink);
  await patient.getByTestId('patient-name').fill('Inès Moreau');
  await patient.getByTestId('enter-waiting-room').click();
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Inès Moreau' }).getByRole('button').click();
  const sent = Promise.all([firstAudioSent(patient), firstAudioSent(doctor)]);
  await doctor.getByTestId('admit').click();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  const mediaAt = Date.now();

  const nodeOf = () => e2e.stack.signaling.redis.hget(`visita:consultation:${consultationId}`, 'nodeId');
  const first = await nodeOf();
  const host = nodes.find((n) => n.nodeId === first);
  expect(host, `the call is on a node process (${first})`).toBeDefined();
  await Promise.all([markSession(patient), markSession(doctor)]);

  const killedAt = Date.now();
  await host!.kill('SIGKILL');
  const [patientBack, doctorBack] = await Promise.all([
    freshMedia(patient, killedAt + 15_000),
    freshMedia(doctor, killedAt + 15_000),
  ]);
  const backMs = Math.max(patientBack, doctorBack) - killedAt;
  console.log(
    `media back ${patientBack - killedAt} ms (patient) / ${doctorBack - killedAt} ms (doctor) after the SIGKILL of the call's node`,
  );
  expect(await nodeOf()).not.toBe(first);
  // The time is a measurement (recorded in docs/benchmarks.md), not asserted: behaviour is that
  // media came back by itself, within the 15 s above.
  expect(backMs).toBeGreaterThan(0);
  // Nobody clicked anything: the call goes on, and both pictures keep moving.
  const [p1, d1] = await Promise.all([inboundStats(patient), inboundStats(doctor)]);
  await new Promise((r) => setTimeout(r, 1_000));
  const [p2, d2] = await Promise.all([inboundStats(patient), inboundStats(doctor)]);
  expect(p2!.video.framesDecoded).toBeGreaterThan(p1!.video.framesDecoded);
  expect(d2!.video.framesDecoded).toBeGreaterThan(d1!.video.framesDecoded);
  const endAt = Date.now();
  await doctor.getByTestId('hang-up').click();
  await patient.getByTestId('ended').waitFor();
  const endedSeenAt = Date.now();
  // Billed as one call across the move: the interruption bridged, nothing counted twice.
  const { billableMs } = await waitForUsage(e2e.stack.signalingUrl, await e2e.stack.login(), consultationId);
  console.log(`media from first frames to hang-up ${endAt - mediaAt} ms, billed ${billableMs} ms`);
  // Billing starts when the first microphone packets reach the node (within [lo, hi], see
  // billingStartWindow) and ends at the hang-up. Had the outage (over a second) been cut out of
  // the bill, it would fall short of endAt - hi; counted twice, it would pass endedSeenAt - lo.
  const [patientSent, doctorSent] = await sent;
  const { lo, hi } = await billingStartWindow(e2e.stack, consultationId, {
    patient: patientSent!,
    practitioner: doctorSent!,
  });
  expect(billableMs).toBeGreaterThanOrEqual(endAt - hi - 200);
  expect(billableMs).toBeLessThanOrEqual(endedSeenAt - lo + 200);
});
