import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { E2EStack } from './support/stack.ts';

// A dead patient link is caught when it is opened — ended, expired, replaced by a newer one,
// garbled — with words saying to ask the practice for a new link, before the camera is asked for.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

/** Opens `link` in a fresh page that counts getUserMedia calls; returns the dead-link status shown. */
async function open(link: string, locale = 'en-GB'): Promise<{ page: Page; status: string | null; text: string }> {
  const context = await e2e.browser.newContext({ ignoreHTTPSErrors: true, locale });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __cameraAsked: number };
    w.__cameraAsked = 0;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c) => {
      w.__cameraAsked++;
      return original(c);
    };
  });
  await page.goto(link);
  const dead = page.getByTestId('dead-link');
  await dead.waitFor();
  return { page, status: await dead.getAttribute('data-status'), text: (await dead.textContent()) ?? '' };
}
const cameraAsked = (page: Page) => page.evaluate(() => (window as unknown as { __cameraAsked: number }).__cameraAsked);

it('tells a dead link apart when it is opened, before any device check', async () => {
  const token = await e2e.stack.login();
  const link = (c: { consultationId: string; patientToken: string }) =>
    `${e2e.webUrl}/c/${c.consultationId}#t=${c.patientToken}`;

  // Ended: the practitioner hung up before the patient came.
  const ended = await e2e.stack.createConsultation(token);
  const doctor = await e2e.stack.connect(token);
  await doctor.request('consultation:hangUp', { consultationId: ended.consultationId });
  const a = await open(link(ended));
  expect([a.status, a.text]).toEqual(['ended', expect.stringContaining('ask your practice for a new link')]);
  expect(await cameraAsked(a.page)).toBe(0);

  // Revoked: a newer link replaced it (in French for this patient).
  const revoked = await e2e.stack.createConsultation(token);
  const res = await fetch(`${e2e.stack.signalingUrl}/api/consultations/${revoked.consultationId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const b = await open(link(revoked), 'fr-FR');
  expect([b.status, b.text]).toEqual(['revoked', expect.stringContaining('Demandez le nouveau lien à votre cabinet')]);

  // Expired: a link that lived 1 s.
  const c = await e2e.stack.createConsultation(token);
  const shortLived = e2e.stack.signaling.tokens.patient({ sub: 'pt-short', consultationId: c.consultationId, v: 0 }, 1);
  await new Promise((r) => setTimeout(r, 1_200));
  const d = await open(`${e2e.webUrl}/c/${c.consultationId}#t=${shortLived}`);
  expect(d.status).toBe('expired');

  // Garbled, or no token at all.
  for (const bad of [`${e2e.webUrl}/c/${c.consultationId}#t=not-a-token`, `${e2e.webUrl}/c/${c.consultationId}`]) {
    const g = await open(bad);
    expect(g.status).toBe('invalid');
    expect(await cameraAsked(g.page)).toBe(0);
  }

  // A token of another consultation than the path's (a link pasted together from two).
  const other = await e2e.stack.createConsultation(token);
  const mixed = await open(`${e2e.webUrl}/c/${other.consultationId}#t=${c.patientToken}`);
  expect([mixed.status, mixed.text]).toEqual(['invalid', expect.stringContaining('Ask your practice for a new one')]);
  expect(await cameraAsked(mixed.page)).toBe(0);

  // A live link goes on to the device check (the camera is asked for then).
  const live = await e2e.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await live.newPage();
  await page.goto(link(c));
  await page.getByTestId('patient-name').waitFor();
  await live.close();
});

it('says a link revoked while the patient waits is no longer valid, within seconds, and lets the camera go', async () => {
  const token = await e2e.stack.login();
  const c = await e2e.stack.createConsultation(token);
  const context = await e2e.browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  const page = await context.newPage();
  // Every track the page was given, to see that each is stopped in the end.
  await page.addInitScript(() => {
    const w = window as unknown as { __tracks: MediaStreamTrack[] };
    w.__tracks = [];
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      w.__tracks.push(...stream.getTracks());
      return stream;
    };
  });
  await page.goto(`${e2e.webUrl}/c/${c.consultationId}#t=${c.patientToken}`);
  await page.getByTestId('patient-name').fill('Revoked Rita');
  await page.getByTestId('enter-waiting-room').click();
  await page.getByTestId('position').waitFor();

  const revokedAt = Date.now();
  const res = await fetch(`${e2e.stack.signalingUrl}/api/consultations/${c.consultationId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const dead = page.getByTestId('dead-link');
  await dead.waitFor({ timeout: 5_000 });
  expect(Date.now() - revokedAt).toBeLessThan(5_000);
  expect(await dead.getAttribute('data-status')).toBe('revoked');
  expect(await dead.textContent()).toContain('Ask your practice for the new link');
  await expect(page.getByTestId('reconnecting').count()).resolves.toBe(0);
  const tracks = await page.evaluate(() =>
    (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((t) => t.readyState),
  );
  expect(tracks.length).toBeGreaterThan(0);
  expect(tracks).toEqual(tracks.map(() => 'ended'));
  await context.close();
});
