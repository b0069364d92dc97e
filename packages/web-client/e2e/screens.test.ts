import { afterAll, beforeAll, expect, it } from 'vitest';
import { devices, type BrowserContextOptions, type Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { DEMO, seedAccount } from '@visita/signaling/testing';
import { waitForMedia } from './support/browser.ts';
import { ScreenLog, type ScreenRecord } from './support/screens.ts';
import { E2EStack } from './support/stack.ts';

// Every main screen at phone size (iPhone 13 in English, Pixel 7 in French) and the practitioner's
// at desktop size: a screenshot of each (test-results/screens/), axe-core with 0 critical and 0
// serious violations, a title of its own and <html lang> in the page's language. On the way, what
// the phone layout promises: a reload keeps the place, the other side's muted microphone and
// camera are shown, the network's quality, the permission steps of the patient's own browser.
let e2e: E2EStack;
const log = new ScreenLog();
beforeAll(async () => {
  e2e = await E2EStack.start({ env: { VISITA_PRACTICE_NAME: 'Cabinet Saint-Michel' } });
});
afterAll(async () => {
  console.log(log.write());
  await e2e?.stop();
});

const phone = (name: 'iPhone 13' | 'Pixel 7'): BrowserContextOptions => {
  const { defaultBrowserType: _, ...options } = devices[name];
  return options;
};
const PHONES = [
  { id: 'iphone13', options: phone('iPhone 13'), locale: 'en-GB', lang: 'en', platform: 'ios' },
  { id: 'pixel7', options: phone('Pixel 7'), locale: 'fr-FR', lang: 'fr', platform: 'android' },
] as const;
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, locale: 'en-GB' };

/** Uncaught errors of any page so far (a screen is not right if its page threw). */
const pageErrors: string[] = [];

/** Checks the screen and fails on any critical or serious violation (listed in the message), or a page's uncaught error. */
async function screen(page: Page, device: string, name: string): Promise<ScreenRecord> {
  expect(pageErrors, `${device}/${name}: uncaught errors in the pages`).toEqual([]);
  const r = await log.check(page, device, name);
  expect(
    r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious'),
    `${device}/${name}`,
  ).toEqual([]);
  return r;
}

async function newPage(options: BrowserContextOptions, locale: string): Promise<Page> {
  const context = await e2e.browser.newContext({ ...options, locale, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${e.message} (${new URL(page.url()).pathname})`));
  return page;
}

async function doctorLogsIn(): Promise<Page> {
  const doctor = await newPage(DESKTOP, 'en-GB');
  await doctor.goto(`${e2e.webUrl}/dashboard`);
  await doctor.getByTestId('login-email').fill(DEMO.email);
  await doctor.getByTestId('login-password').fill(DEMO.password);
  await doctor.getByTestId('login-submit').click();
  await doctor.getByTestId('new-consultation').waitFor();
  return doctor;
}

for (const [i, device] of PHONES.entries()) {
  if (process.env['ONLY_PHONE'] && process.env['ONLY_PHONE'] !== device.id) continue;
  it(`the patient's journey on ${device.id} (${device.locale}), the practitioner on a desktop`, async () => {
    const token = await e2e.stack.login();
    const doctor = await doctorLogsIn();
    const desktop = i === 0; // the practitioner's screens are recorded once
    const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
    const link = `${e2e.webUrl}/c/${consultationId}#t=${patientToken}`;
    const patient = await newPage(device.options, device.locale);
    const titles = new Map<string, string>();

    // A dead link (an ended consultation).
    const ended = await e2e.stack.createConsultation(token);
    await (await e2e.stack.connect(token)).request('consultation:hangUp', { consultationId: ended.consultationId });
    await patient.goto(`${e2e.webUrl}/c/${ended.consultationId}#t=${ended.patientToken}`);
    await patient.getByTestId('dead-link').waitFor();
    titles.set('dead-link', (await screen(patient, device.id, 'dead-link')).title);

    // Device check: preview, microphone meter (a labelled meter), test sound.
    await patient.goto(link);
    const meter = patient.getByTestId('mic-meter');
    await meter.waitFor();
    await expect(meter.getAttribute('role')).resolves.toBe('meter');
    // The fake microphone beeps: the meter hears it.
    await expect
      .poll(() => meter.getAttribute('aria-valuetext'), { timeout: 10_000 })
      .toBe(device.lang === 'fr' ? 'Votre micro fonctionne.' : 'Your microphone works.');
    // The network test to the media server has answered (in words, the figures beside).
    await expect
      .poll(() => patient.getByTestId('network-test').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('good');
    const check = await screen(patient, device.id, 'device-check');
    titles.set('device-check', check.title);
    expect(check.lang).toBe(device.lang);

    // The waiting room: position announced politely, a labelled self-view, the status in words.
    await patient.getByTestId('patient-name').fill('Chloé Bernard');
    await patient.getByTestId('patient-reason').fill(device.lang === 'fr' ? 'Renouvellement' : 'Prescription renewal');
    await patient.getByTestId('enter-waiting-room').click();
    const position = patient.getByTestId('position');
    const next = device.lang === 'fr' ? 'Vous êtes le prochain patient.' : 'You are next.';
    // (Polled, so that a failure shows what the page said instead.)
    await expect.poll(() => position.locator('strong').textContent(), { timeout: 15_000 }).toBe(next);
    await expect(position.getAttribute('aria-live')).resolves.toBe('polite');
    // Who they wait for, and where.
    await expect(patient.getByTestId('waiting-for').textContent()).resolves.toBe(
      device.lang === 'fr'
        ? `Vous attendez ${DEMO.name}, Cabinet Saint-Michel.`
        : `You are waiting for ${DEMO.name}, Cabinet Saint-Michel.`,
    );
    titles.set('waiting-room', (await screen(patient, device.id, 'waiting-room')).title);

    // A reload keeps the place, and says so; the reason typed is kept.
    await patient.reload();
    await patient.getByTestId('place-kept').waitFor();
    await expect.poll(() => position.locator('strong').textContent(), { timeout: 15_000 }).toBe(next);
    await screen(patient, device.id, 'waiting-room-after-reload');

    // The practitioner opens the consultation from the live waiting room (reason shown) and admits.
    const entry = doctor.getByTestId('queue-entry').filter({ hasText: 'Chloé Bernard' });
    await entry.getByText(device.lang === 'fr' ? 'Renouvellement' : 'Prescription renewal').waitFor();
    if (desktop) await screen(doctor, 'desktop', 'dashboard');
    await entry.getByRole('button').click();
    await doctor.locator('[data-testid=admit]:not([disabled])').waitFor();
    const reason = device.lang === 'fr' ? 'Renouvellement' : 'Prescription renewal';
    await doctor.getByTestId('patient-reason-shown').getByText(reason).waitFor();
    if (desktop) await screen(doctor, 'desktop', 'consultation-room');
    await doctor.getByTestId('admit').click();

    // The call, phone first: media both ways, the timer, the network's quality.
    await waitForMedia(patient);
    await waitForMedia(doctor);
    // On loopback the network is good (the first seconds' losses are not counted).
    await expect
      .poll(() => patient.getByTestId('network-quality').getAttribute('data-quality'), { timeout: 15_000 })
      .toBe('good');
    for (const id of ['toggle-mic', 'toggle-camera', 'hang-up']) {
      const box = await patient.getByTestId(id).boundingBox();
      expect(Math.min(box!.width, box!.height), id).toBeGreaterThanOrEqual(44);
    }
    titles.set('call', (await screen(patient, device.id, 'call')).title);
    // An iPhone sends H264 (hardware) when the browser can; the others VP8, the router's first.
    const canH264 = await patient.evaluate(() =>
      (RTCRtpSender.getCapabilities('video')?.codecs ?? []).some((c) => c.mimeType.toLowerCase() === 'video/h264'),
    );
    await expect
      .poll(() => patient.evaluate(async () => (await window.__visitaSession?.sentVideoCodec())?.toLowerCase()))
      .toBe(device.platform === 'ios' && canH264 ? 'video/h264' : 'video/vp8');
    console.log(`${device.id}: H264 encoder ${canH264 ? 'available' : 'absent'} in this Chromium`);
    // The practitioner's call: the patient's name and reason above the video.
    await expect(doctor.getByTestId('peer-detail').textContent()).resolves.toBe(reason);
    // On a desktop the chat is beside the video: no button to open it.
    expect(await doctor.getByTestId('call-chat').isVisible()).toBe(true);
    expect(await doctor.getByTestId('toggle-chat').isVisible()).toBe(false);
    if (desktop) await screen(doctor, 'desktop', 'call');

    // The patient mutes and turns the camera off: the practitioner sees it (an avatar, not a frozen frame).
    await patient.getByTestId('toggle-mic').click();
    await doctor.getByTestId('remote-muted').waitFor();
    await patient.getByTestId('toggle-camera').click();
    await doctor.locator('[data-testid=remote-camera-off][data-state=paused]').waitFor();
    if (desktop) await screen(doctor, 'desktop', 'call-patient-muted-camera-off');
    await screen(patient, device.id, 'call-muted-camera-off');
    await patient.getByTestId('toggle-camera').click();
    await doctor.getByTestId('remote-camera-off').waitFor({ state: 'detached' });
    await patient.getByTestId('toggle-mic').click();
    await doctor.getByTestId('remote-muted').waitFor({ state: 'detached' });

    // The end, on both sides; the practitioner's usage page.
    await patient.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
    await doctor.getByTestId('ended').waitFor();
    titles.set('after-call', (await screen(patient, device.id, 'after-call')).title);
    if (desktop) {
      await screen(doctor, 'desktop', 'ended');
      await doctor.getByRole('button', { name: 'Back' }).click();
      await doctor.getByTestId('archive').waitFor();
      await doctor.getByTestId('nav-usage').click();
      await doctor.getByTestId('usage-total').waitFor();
      await screen(doctor, 'desktop', 'usage');
    }
    // Each screen names itself in the tab.
    expect(new Set(titles.values()).size, JSON.stringify([...titles])).toBe(titles.size);
    await patient.context().close();
    await doctor.context().close();
  });

  it(`camera refused on ${device.id}: the steps for its browser, then sound only or the chat only`, async () => {
    const token = await e2e.stack.login();
    const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
    const patient = await newPage(device.options, device.locale);
    // As when the patient tapped "Block": every request with the camera is refused.
    await patient.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c) =>
        c?.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : original(c);
    });
    await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
    const help = patient.getByTestId('device-help');
    await help.waitFor();
    await expect(help.getAttribute('data-problem')).resolves.toBe('denied');
    await expect(help.getAttribute('data-platform')).resolves.toBe(device.platform);
    await expect(patient.getByTestId('permission-steps').locator('li').count()).resolves.toBe(3);
    await screen(patient, device.id, 'device-help');

    await patient.getByTestId('audio-only').click();
    await patient.getByTestId('mic-meter').waitFor();
    await screen(patient, device.id, 'device-check-audio-only');
    await patient.getByTestId('patient-name').fill('Hugo Lambert');
    await patient.getByTestId('enter-waiting-room').click();
    await patient.getByTestId('waiting').waitFor();
    // The practitioner sees that the camera was not confirmed.
    const queue = await e2e.stack.connect(token);
    const q = await queue.request('queue:watch', {});
    if (!q.ok) throw new Error(q.message);
    const mine = q.data.entries.find((e) => e.consultationId === consultationId);
    expect(mine?.deviceCheck).toMatchObject({ camera: false });
    // Leaving asks first, then ends the consultation (the practitioner's queue empties).
    await patient.getByTestId('leave').click();
    await screen(patient, device.id, 'leave-confirm');
    await patient.getByTestId('leave-confirm').click();
    await patient.getByTestId('ended').waitFor();
    await expect
      .poll(async () => {
        const again = await queue.request('queue:watch', {});
        if (!again.ok) throw new Error(again.message);
        return again.data.entries.some((e) => e.consultationId === consultationId);
      })
      .toBe(false);
    await patient.context().close();
  });
}

it('the practitioner on a phone: the reason arrives with the check-in; the chat opens over the call', async () => {
  const token = await e2e.stack.login();
  const doctor = await newPage(phone('iPhone 13'), 'en-GB');
  await doctor.goto(`${e2e.webUrl}/dashboard`);
  await doctor.getByTestId('login-email').fill(DEMO.email);
  await doctor.getByTestId('login-password').fill(DEMO.password);
  await doctor.getByTestId('login-submit').click();
  await doctor.getByTestId('new-consultation').waitFor();
  const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
  // Opened before the patient checks in: their reason shows when they do (a join's answer carries it).
  await doctor.goto(`${e2e.webUrl}/consultations/${consultationId}`);
  await doctor.getByText('No patient in the waiting room yet.').waitFor();
  const patient = await newPage(DESKTOP, 'en-GB');
  await patient.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`);
  await patient.getByTestId('patient-name').fill('Hugo Lambert');
  await patient.getByTestId('patient-reason').fill('Sore throat');
  await patient.getByTestId('enter-waiting-room').click();
  await doctor.getByTestId('patient-reason-shown').getByText('Sore throat').waitFor({ timeout: 15_000 });
  await doctor.locator('[data-testid=admit]:not([disabled])').click();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);

  // The chat is a sheet over the call, opened from the controls; messages received meanwhile are counted.
  const toggle = doctor.getByTestId('toggle-chat');
  const sheet = doctor.getByTestId('call-chat');
  expect(await sheet.isVisible()).toBe(false);
  const box = await toggle.boundingBox();
  expect(Math.min(box!.width, box!.height)).toBeGreaterThanOrEqual(44);
  const patientSocket = await e2e.stack.connect(patientToken);
  await patientSocket.request('chat:send', { consultationId, text: 'Can you hear me well?' });
  await expect.poll(() => toggle.textContent()).toBe('Chat, 1 new message');
  await toggle.click();
  expect(await sheet.isVisible()).toBe(true);
  await sheet.getByText('Can you hear me well?').waitFor();
  await sheet.getByTestId('chat-input').fill('Yes, perfectly.');
  await sheet.getByTestId('chat-send').click();
  await sheet.getByTestId('chat-messages').getByText('Yes, perfectly.').waitFor();
  await screen(doctor, 'iphone13', 'practitioner-call-chat');
  await doctor.getByTestId('close-chat').click();
  expect(await sheet.isVisible()).toBe(false);
  expect(await toggle.textContent()).toBe('Chat');
  await screen(doctor, 'iphone13', 'practitioner-call');
  patientSocket.socket.close();
  await doctor.context().close();
  await patient.context().close();
});

it('ops watch the live picture; a practitioner reads their audit log and exports it', async () => {
  await seedAccount(e2e.stack.redis.url, {
    email: 'ops@visita.test',
    name: 'Ops',
    role: 'ops',
    password: 'ops password 123',
  });
  // One patient waiting, so the waiting rooms show someone.
  const token = await e2e.stack.login();
  const c = await e2e.stack.createConsultation(token);
  const patient = await e2e.stack.connect(c.patientToken);
  await patient.request('consultation:join', { consultationId: c.consultationId, displayName: 'Inès' });

  const ops = await newPage(DESKTOP, 'en-GB');
  await ops.goto(`${e2e.webUrl}/ops`);
  await ops.getByTestId('login-email').fill('ops@visita.test');
  await ops.getByTestId('login-password').fill('ops password 123');
  await ops.getByTestId('login-submit').click();
  // Back on /ops after the login; the node, the waiting room, refreshed by itself.
  await ops.getByTestId('ops-node').filter({ hasText: 'sfu-test' }).getByText('serving').waitFor();
  await expect.poll(() => ops.getByTestId('ops-waiting').textContent()).not.toBe('0');
  await ops.getByTestId('ops-queues').getByText(DEMO.name).waitFor();
  // Each worker of the node on a row of its own, with its share of the node's capacity.
  const workers = ops.getByTestId('ops-worker');
  await workers.first().waitFor();
  expect(await workers.count()).toBe(e2e.stack.node.status().workers);
  expect(await workers.first().textContent()).toMatch(/^worker 1 \(pid \d+\).*\d+\/\d+ \(\d+\s?%\)/);
  await screen(ops, 'desktop', 'ops');
  await ops.context().close();

  const doctor = await doctorLogsIn();
  await doctor.goto(`${e2e.webUrl}/ops`);
  await doctor.getByText('This page is for operations accounts.').waitFor();
  await doctor.getByTestId('nav-audit').click();
  await doctor.getByTestId('audit-record').first().waitFor();
  await doctor.getByTestId('audit').getByText('checked in').first().waitFor();
  await screen(doctor, 'desktop', 'audit');
  const [download] = await Promise.all([doctor.waitForEvent('download'), doctor.getByTestId('audit-csv').click()]);
  const csv = await readFile((await download.path())!, 'utf8');
  expect(csv).toContain(c.consultationId);
  await doctor.context().close();
});

it('the practitioner by keyboard only: log in (a wrong password first), create a consultation; an unknown address', async () => {
  const page = await newPage(DESKTOP, 'en-GB');
  await page.goto(`${e2e.webUrl}/login`);
  await page.getByTestId('login-email').waitFor();
  await screen(page, 'desktop', 'login');
  const tabTo = async (testId: string) => {
    for (let n = 0; n < 15; n++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === testId) return;
    }
    throw new Error(`${testId} is not reachable with Tab`);
  };
  await tabTo('login-email');
  await page.keyboard.type(DEMO.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not the password');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('login-error').textContent()).resolves.toBe('Wrong email or password.');
  await screen(page, 'desktop', 'login-wrong-password');
  await page.getByTestId('login-password').fill('');
  await page.getByTestId('login-password').focus();
  await page.keyboard.type(DEMO.password);
  await page.keyboard.press('Enter');
  await page.getByTestId('new-consultation').waitFor();
  const token = await e2e.stack.login();
  const count = async () =>
    (
      (await (
        await fetch(`${e2e.stack.signalingUrl}/api/consultations`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { data: { consultations: unknown[] } }
    ).data.consultations.length;
  const before = await count();
  await tabTo('new-consultation');
  await page.keyboard.press('Enter');
  await expect.poll(count).toBe(before + 1);
  await tabTo('nav-usage');
  await page.keyboard.press('Enter');
  await page.getByTestId('usage').waitFor();
  expect(new URL(page.url()).pathname).toBe('/usage');

  await page.goto(`${e2e.webUrl}/nowhere`);
  await page.getByText('There is nothing at this address.', { exact: false }).waitFor();
  await screen(page, 'desktop', 'not-found');
  await page.context().close();
});
