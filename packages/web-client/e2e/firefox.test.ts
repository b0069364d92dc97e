import { afterAll, beforeAll, expect, it } from 'vitest';
import { devices } from 'playwright-core';
import type { Browser } from 'puppeteer-core';
import { DEMO } from '@visita/signaling/testing';
import { waitForMedia } from './support/browser.ts';
import { firefoxNetwork, firefoxPage, firefoxWaitForMedia, launchFirefox } from './support/firefox.ts';
import { E2EStack } from './support/stack.ts';

// Firefox on either side of a call: a Firefox patient with a Chromium practitioner (VP8 and Opus,
// mute, hang-up), then a Firefox practitioner — who decodes no H264 — with an "iPhone" patient
// (Chromium with an iPhone's user agent: mediasoup-client would send H264): the iPhone's camera
// must reach Firefox, in VP8.
let e2e: E2EStack;
let firefox: Browser;
let network: ReturnType<typeof firefoxNetwork> | undefined;
beforeAll(async () => {
  network = firefoxNetwork();
  e2e = await E2EStack.start({ host: network.host });
  firefox = await launchFirefox();
});
afterAll(async () => {
  await firefox?.close();
  await e2e?.stop();
  network?.remove();
});

it('a Firefox patient and a Chromium practitioner: both see and hear each other, mute, hang-up', async () => {
  const { page: doctor } = await e2e.page();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  const patient = await firefoxPage(firefox);
  await patient.goto(patientLink);
  await patient.locator('[data-testid="patient-name"]').fill('Fabienne Fox');
  await patient.locator('[data-testid="enter-waiting-room"]').click();
  await patient.waitForSelector('[data-testid="position"] strong');
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Fabienne Fox' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();

  await waitForMedia(doctor, 30_000);
  await firefoxWaitForMedia(patient, 30_000);
  const sent = await patient.evaluate(async () =>
    (
      await (
        window as unknown as { __visitaSession?: { sentVideoCodec(): Promise<string | null> } }
      ).__visitaSession?.sentVideoCodec()
    )?.toLowerCase(),
  );
  expect(sent).toBe('video/vp8');

  // The patient mutes: the practitioner is shown it.
  await patient.locator('[data-testid="toggle-mic"]').click();
  await doctor.getByTestId('remote-muted').waitFor();
  // The patient hangs up: both pages end.
  await patient.locator('[data-testid="hang-up"]').click();
  await patient.waitForSelector('[data-testid="ended"]');
  await doctor.getByTestId('ended').waitFor();
  await patient.close();
  await doctor.context().close();
});

it("a Firefox practitioner (no H264) receives an iPhone patient's camera, in VP8", async () => {
  const doctor = await firefoxPage(firefox);
  await doctor.goto(`${e2e.webUrl}/dashboard`);
  await doctor.locator('[data-testid="login-email"]').fill(DEMO.email);
  await doctor.locator('[data-testid="login-password"]').fill(DEMO.password);
  await doctor.locator('[data-testid="login-submit"]').click();
  await doctor.locator('[data-testid="new-consultation"]').click();
  const link = await doctor.waitForSelector('[data-testid="patient-link"]');
  const url = new URL(String(await link?.evaluate((e) => (e as HTMLInputElement).value)));

  const { defaultBrowserType: _, ...iphone } = devices['iPhone 13'];
  const context = await e2e.browser.newContext({ ...iphone, ignoreHTTPSErrors: true, locale: 'en-GB' });
  const patient = await context.newPage();
  await patient.goto(`${e2e.webUrl}${url.pathname}${url.hash}`);
  await patient.getByTestId('patient-name').fill('Isaac Phone');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('position').getByText('You are next.').waitFor();

  const entry = await doctor.waitForSelector('[data-testid="queue-entry"] button');
  await entry?.click();
  await doctor.locator('[data-testid="admit"]').click();
  await firefoxWaitForMedia(doctor, 30_000);
  await waitForMedia(patient, 30_000);
  await expect
    .poll(() => patient.evaluate(async () => (await window.__visitaSession?.sentVideoCodec())?.toLowerCase()))
    .toBe('video/vp8');
  await doctor.locator('[data-testid="hang-up"]').click();
  await patient.getByTestId('ended').waitFor();
  await doctor.close();
  await context.close();
});
