import { afterAll, beforeAll, expect, it } from 'vitest';
import { devices, type BrowserContextOptions, type Page } from 'playwright-core';
import { DEMO } from '@visita/signaling/testing';
import { inboundStats, waitForMedia } from './support/browser.ts';
import { ScreenLog } from './support/screens.ts';
import { E2EStack } from './support/stack.ts';

// The call as patients live it on a phone (issue 21): the practitioner named, their muted
// microphone said as theirs, a landscape camera shown whole, the chat both ways with the waiting
// room's history, a timer that survives a remount, a reconnecting banner above one's own picture
// and a network badge that follows it; a patient who joined by the chat only, one by sound only.
// Each defect's check is soft: a run against an older client lists every one it fails.
let e2e: E2EStack;
const log = new ScreenLog();
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

const phone = (name: 'iPhone 13' | 'Pixel 7'): BrowserContextOptions => {
  const { defaultBrowserType: _, ...options } = devices[name];
  return options;
};
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const pageErrors: string[] = [];

async function newPage(options: BrowserContextOptions, locale: string): Promise<Page> {
  const context = await e2e.browser.newContext({ ...options, locale, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${e.message} (${new URL(page.url()).pathname})`));
  return page;
}

/** The practitioner, logged in on a desktop, on the consultation's page. */
async function doctorOpens(consultationId: string): Promise<Page> {
  const doctor = await newPage(DESKTOP, 'en-GB');
  await doctor.goto(`${e2e.webUrl}/consultations/${consultationId}`);
  await doctor.getByTestId('login-email').fill(DEMO.email);
  await doctor.getByTestId('login-password').fill(DEMO.password);
  await doctor.getByTestId('login-submit').click();
  return doctor;
}

/** Polls `read` until it gives `want` (or `timeoutMs` passes), then checks softly what it gave last. */
async function softPoll<T>(what: string, read: () => Promise<T>, want: T, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = await read().catch(() => undefined);
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await read().catch(() => undefined);
  }
  expect.soft(last, what).toBe(want);
  return last === want;
}

/** Axe on the screen: no critical or serious violation. */
async function accessible(page: Page, device: string, name: string): Promise<void> {
  const r = await log.check(page, device, `incall-${name}`);
  expect
    .soft(
      r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious'),
      `${device}/${name}`,
    )
    .toEqual([]);
}

const seconds = (timer: string | null) => {
  const [m, s] = (timer ?? '0:00').split(':').map(Number);
  return m! * 60 + s!;
};

it('on an iPhone 13: the practitioner named, the chat both ways, a whole landscape picture, the timer and the reconnecting banner', async () => {
  const token = await e2e.stack.login();
  const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
  const doctor = await doctorOpens(consultationId);
  const patient = await newPage(phone('iPhone 13'), 'en-GB');
  await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
  await patient.getByTestId('patient-name').fill('Chloé Bernard');
  await patient.getByTestId('enter-waiting-room').click();
  // A question while waiting: it is in the call's chat too.
  await patient.getByTestId('chat-input').fill('Is the parking free?');
  await patient.getByTestId('chat-send').click();
  await doctor.getByTestId('chat-messages').getByText('Is the parking free?').waitFor();
  await doctor.locator('[data-testid=admit]:not([disabled])').click();
  const admittedAt = Date.now();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);

  // Item 16: the practitioner's landscape camera (640 × 480) is shown whole on the portrait phone.
  const remote = patient.getByTestId('remote-video');
  await softPoll('the landscape picture is fitted whole (data-fit)', () => remote.getAttribute('data-fit'), 'contain');
  expect
    .soft(await remote.evaluate((v: HTMLVideoElement) => [v.videoWidth > v.videoHeight, getComputedStyle(v).objectFit]))
    .toEqual([true, 'contain']);

  // Item 4: the patient's call names the practitioner; their muted microphone and camera are theirs.
  expect.soft(await patient.getByTestId('call').getByText(DEMO.name, { exact: true }).count()).toBe(1);
  await doctor.getByTestId('toggle-mic').click();
  await patient.getByTestId('remote-muted').waitFor();
  expect.soft(await patient.getByTestId('remote-muted').textContent()).toContain(`${DEMO.name}’s microphone is off`);
  await doctor.getByTestId('toggle-camera').click();
  await patient.locator('[data-testid=remote-camera-off][data-state=paused]').waitFor();
  const avatar = patient.getByTestId('remote-camera-off');
  expect.soft(await avatar.textContent()).toBe(`T${DEMO.name}’s camera is off`);
  await doctor.getByTestId('toggle-camera').click();
  await doctor.getByTestId('toggle-mic').click();
  await patient.getByTestId('remote-muted').waitFor({ state: 'detached' });

  // Item 1: the patient has the chat in the call, a sheet over the video with an unread count.
  const toggle = patient.getByTestId('toggle-chat');
  if (await softPoll('the patient has a chat button in the call', () => toggle.isVisible(), true, 2_000)) {
    const sheet = patient.getByTestId('call-chat');
    expect(await sheet.isVisible()).toBe(false);
    await doctor.getByTestId('chat-input').fill('Please open your mouth wide.');
    await doctor.getByTestId('chat-send').click();
    await softPoll('the unread count', () => toggle.textContent(), 'Chat, 1 new message');
    await toggle.click();
    // The waiting room's history is there, and the new message.
    await sheet.getByText('Is the parking free?').waitFor();
    await sheet.getByText('Please open your mouth wide.').waitFor();
    await sheet.getByTestId('chat-input').fill('Like this?');
    await sheet.getByTestId('chat-send').click();
    await doctor.getByTestId('chat-messages').getByText('Like this?').waitFor();
    await accessible(patient, 'iphone13', 'patient-chat');
    await patient.getByTestId('close-chat').click();
    expect(await toggle.textContent()).toBe('Chat');
  }

  // Item 21: the timer counts from the admission, also after the call view is built again (a reload here).
  await expect
    .poll(async () => seconds(await patient.getByTestId('call-timer').textContent()), { timeout: 10_000 })
    .toBeGreaterThan(3);
  await patient.reload();
  const timer = patient.getByTestId('call-timer');
  await timer.waitFor({ timeout: 20_000 });
  const shown = seconds(await timer.textContent());
  const since = (Date.now() - admittedAt) / 1000;
  expect
    .soft(shown, `timer after the reload (${since.toFixed(1)} s since the admission)`)
    .toBeGreaterThanOrEqual(Math.floor(since) - 2);
  await waitForMedia(patient);
  await accessible(patient, 'iphone13', 'patient-call');

  // Item 5: connection lost: the banner is whole and above one's own picture; the badge says so.
  // The device's network goes (the browser's 'offline' event; this machine's only loopback
  // interface keeps the media up, so the connection's return is announced the same way).
  await patient.evaluate(() => window.dispatchEvent(new Event('offline')));
  const banner = patient.getByTestId('reconnecting');
  await banner.waitFor({ timeout: 15_000 });
  const covered = await banner.evaluate((el: HTMLElement) => {
    // Hit-tested as a tap would be (the head of the call lets taps through to the video).
    el.style.pointerEvents = 'auto';
    const r = el.getBoundingClientRect();
    // Its corners, inside the rounded border.
    const points = [
      [r.left + 8, r.top + 4],
      [r.right - 8, r.top + 4],
      [r.left + 8, r.bottom - 4],
      [r.right - 8, r.bottom - 4],
      [(r.left + r.right) / 2, (r.top + r.bottom) / 2],
    ];
    const inView = r.left >= 0 && r.right <= window.innerWidth && r.top >= 0;
    const hidden = points.filter(([x, y]) => !el.contains(document.elementFromPoint(x!, y!)));
    return { inView, hidden: hidden.length };
  });
  expect.soft(covered, 'the reconnecting banner is whole and on top').toEqual({ inView: true, hidden: 0 });
  await softPoll(
    'the network badge while reconnecting',
    () => patient.getByTestId('network-quality').getAttribute('data-quality'),
    'reconnecting',
    5_000,
  );
  await accessible(patient, 'iphone13', 'patient-reconnecting');
  await patient.evaluate(() => {
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => true });
    window.dispatchEvent(new Event('online'));
  });
  await banner.waitFor({ state: 'detached', timeout: 30_000 });

  await patient.getByTestId('hang-up').click();
  await doctor.getByTestId('ended').waitFor();
  expect(pageErrors).toEqual([]);
  await patient.context().close();
  await doctor.context().close();
});

it('on a Pixel 7 (French), a patient who joined by the chat only: the chat open, their state said; the practitioner told', async () => {
  const token = await e2e.stack.login();
  const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
  const patient = await newPage(phone('Pixel 7'), 'fr-FR');
  // The camera and microphone refused: the patient goes on with the chat only.
  await patient.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
  await patient.getByTestId('chat-only').click();
  await patient.getByTestId('patient-name').fill('Hugo Lambert');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').waitFor();
  const doctor = await doctorOpens(consultationId);
  await doctor.locator('[data-testid=admit]:not([disabled])').click();
  await patient.getByTestId('call').waitFor();
  await waitForMedia(patient);

  // The patient: told plainly how they are in the call, the chat open over the practitioner's video.
  await softPoll(
    'the chat-only patient is told so',
    () => patient.getByTestId('own-media').textContent(),
    'Vous avez rejoint par la messagerie seulement\u202f: votre praticien ne vous voit pas et ne vous entend pas. Écrivez-lui ici.',
    3_000,
  );
  const sheet = patient.getByTestId('call-chat');
  if (await softPoll('the chat is open for a chat-only patient', () => sheet.isVisible(), true, 2_000)) {
    await sheet.getByTestId('chat-input').fill('Je n’ai pas de caméra.');
    await sheet.getByTestId('chat-send').click();
    await doctor.getByTestId('chat-messages').getByText('Je n’ai pas de caméra.').waitFor();
    await accessible(patient, 'pixel7', 'chat-only');
  }
  // The practitioner: told the patient joined by the chat only, not waiting for a video.
  await softPoll(
    'the practitioner is told the patient joined by chat only',
    () => doctor.getByTestId('remote-camera-off').locator('p').textContent(),
    'Hugo Lambert joined by chat only: write to them in the chat.',
    5_000,
  );
  await patient.getByTestId('hang-up').click();
  await doctor.getByTestId('ended').waitFor();
  expect(pageErrors).toEqual([]);
  await patient.context().close();
  await doctor.context().close();
});

it('on an iPhone 13, a patient who joined by sound only: told so, the chat open; the practitioner hears them and is told', async () => {
  const token = await e2e.stack.login();
  const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
  const patient = await newPage(phone('iPhone 13'), 'en-GB');
  // The camera refused (the microphone allowed): the patient goes on with sound only.
  await patient.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c) =>
      c?.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : original(c);
  });
  await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
  await patient.getByTestId('audio-only').click();
  await patient.getByTestId('patient-name').fill('Hugo Lambert');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').waitFor();
  const doctor = await doctorOpens(consultationId);
  await doctor.locator('[data-testid=admit]:not([disabled])').click();
  await Promise.all([waitForMedia(patient), patient.getByTestId('toggle-mic').waitFor()]);
  await softPoll(
    'the sound-only patient is told so',
    () => patient.getByTestId('own-media').textContent(),
    'You joined by sound only: your practitioner hears you but cannot see you.',
    3_000,
  );
  await softPoll(
    'the chat is open for a sound-only patient',
    () => patient.getByTestId('call-chat').isVisible(),
    true,
    2_000,
  );
  await softPoll(
    'the practitioner is told the patient joined by sound only',
    () => doctor.getByTestId('remote-camera-off').locator('p').textContent(),
    'Hugo Lambert joined by sound only, without a camera.',
    5_000,
  );
  // The practitioner hears them.
  await expect
    .poll(async () => (await inboundStats(doctor))?.audio.packetsReceived ?? 0, { timeout: 15_000 })
    .toBeGreaterThan(0);
  await patient.getByTestId('hang-up').click();
  await doctor.getByTestId('ended').waitFor();
  expect(pageErrors).toEqual([]);
  await patient.context().close();
  await doctor.context().close();
});
