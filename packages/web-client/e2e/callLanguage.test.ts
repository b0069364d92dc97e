import { afterAll, beforeAll, expect, it } from 'vitest';
import { inboundStats, markSession, waitForMedia } from './support/browser.ts';
import { E2EStack } from './support/stack.ts';

// Switching the language during a call changes the words, never the media: the same media session
// (no new transports, no new producers), the other side's video still decoded.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('switching the language during a call keeps the same media session, and the video keeps coming', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, patient, patientLink, 'Lena Langue');
  await waitForMedia(patient, 30_000);
  await markSession(patient);
  const before = (await inboundStats(patient))!.video.framesDecoded;

  // (The call covers the page's header on this screen: the switch is pressed as a keyboard would.)
  await patient.getByTestId('switch-language').dispatchEvent('click');
  await patient.locator('html[lang="fr"]').waitFor();
  await patient.getByTestId('hang-up').getByText('Raccrocher').waitFor();
  // The same session object (a new one would not carry the mark), still decoding frames.
  const same = await patient.evaluate(() => (window.__visitaSession as unknown as { old?: boolean } | null)?.old);
  expect(same).toBe(true);
  await expect
    .poll(async () => (await inboundStats(patient))?.video.framesDecoded ?? 0, { timeout: 5_000 })
    .toBeGreaterThan(before + 10);
  await doctor.getByTestId('hang-up').click();
  await patient.getByTestId('ended').waitFor();
});
