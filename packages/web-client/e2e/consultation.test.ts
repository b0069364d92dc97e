import { afterAll, beforeAll, expect, it } from 'vitest';
import { E2EStack } from './support/stack.ts';
import { inboundStats, waitForMedia } from './support/browser.ts';

let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('patient and doctor see and hear each other through the SFU, and hang-up frees the router', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  const { consultationId, patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await doctor.getByTestId('open-consultation').first().click();

  // The patient checks devices, names themself and waits.
  await patient.goto(patientLink);
  await patient.getByTestId('patient-name').fill('Alice Martin');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').waitFor();
  await expect(patient.getByTestId('waiting').textContent()).resolves.toContain('practitioner is online');

  // The doctor sees the patient waiting and admits them.
  await doctor.getByTestId('patient-waiting').waitFor();
  await expect(doctor.getByTestId('patient-waiting').textContent()).resolves.toContain('Alice Martin');
  await doctor.getByTestId('admit').click();

  // Media flows both ways, and keeps flowing.
  const [p1, d1] = await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  await new Promise((r) => setTimeout(r, 2_000));
  const [p2, d2] = await Promise.all([inboundStats(patient), inboundStats(doctor)]);
  for (const [before, after] of [[p1, p2], [d1, d2]] as const) {
    expect(after!.video.framesDecoded).toBeGreaterThan(before.video.framesDecoded);
    expect(after!.audio.packetsReceived).toBeGreaterThan(before.audio.packetsReceived);
  }
  expect(e2e.stack.node.roomIds).toEqual([consultationId]);

  // The patient hangs up: both see the end, and the SFU closed the router.
  await patient.getByTestId('hang-up').click();
  await doctor.getByTestId('ended').waitFor();
  await patient.getByTestId('ended').waitFor();
  expect(e2e.stack.node.roomIds).toEqual([]);
  for (const w of e2e.stack.pool.workers) expect((await w.dump()).routerIds).toEqual([]);
});
