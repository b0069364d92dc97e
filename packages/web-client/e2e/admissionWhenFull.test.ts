import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeCapacityStatus } from '../../signaling/src/autoscale/capacityStatus.ts';
import { E2EStack } from './support/stack.ts';
import { waitForMedia } from './support/browser.ts';

// Admission when every media server is full, as the practitioner and the patient see it in
// Chromium: the admit waits with the autoscaler's estimate ("about N s", FR for the patient), and
// the call starts by itself — media both ways — once a node has room.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('admits when full: both are told, with the estimate, and the call starts by itself once a node has room', async () => {
  const { page: doctor } = await e2e.page();
  const patientBrowser = await e2e.browser.newContext({ ignoreHTTPSErrors: true, locale: 'fr-FR' });
  const patient = await patientBrowser.newPage();
  try {
    const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
    await patient.goto(patientLink);
    await patient.getByTestId('patient-name').fill('Léa Petit');
    await patient.getByTestId('enter-waiting-room').click();
    await doctor.getByTestId('queue-entry').filter({ hasText: 'Léa Petit' }).getByRole('button').click();
    await doctor.locator('[data-testid=admit]:not([disabled])').waitFor();

    // No node has room; the autoscaler says one is starting and will serve in about 20 s.
    await e2e.stack.sfu.setDraining(true);
    await writeCapacityStatus(e2e.stack.signaling.redis, {
      at: Date.now(),
      desired: 2,
      serving: 1,
      starting: 1,
      readyAt: Date.now() + 20_000,
      atMax: false,
    });
    await doctor.getByTestId('admit').click();
    const pending = doctor.getByTestId('admission-pending');
    await pending.waitFor();
    expect(await pending.textContent()).toMatch(
      /starting more capacity, about (19|20) s\. The call starts by itself\./,
    );
    await expect(doctor.getByTestId('admit').isDisabled()).resolves.toBe(true);
    const told = patient.getByTestId('admission-pending');
    await told.waitFor();
    expect(await told.textContent()).toMatch(
      /Votre praticien vous a fait entrer\. Votre appel démarre \(environ \d+ s\)\./,
    );
    // It counts down.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(Number((await pending.textContent())?.match(/about (\d+) s/)?.[1])).toBeLessThanOrEqual(18);

    // A node has room again: the call starts without a click, media both ways.
    await e2e.stack.sfu.setDraining(false);
    await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
  } finally {
    await e2e.stack.sfu.setDraining(false);
    await patientBrowser.close();
  }
});
