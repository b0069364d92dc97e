import type { Browser, Page } from 'playwright-core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConsultation, login } from '@visita/signaling/testing';
import { freshMedia, inboundStats, launchChromium, markSession, waitForMedia } from './support/browser.ts';
import { Platform } from './support/platform.ts';

// `make start` keeps the platform up when one of its processes dies, as the README promises, with
// two SFU nodes (VISITA_SFU_NODES=2): the node carrying a call is killed (SIGKILL) and the media
// comes back on both pages while its supervisor starts it again; then signaling itself is killed,
// and once it is back the call goes on, the waiting patient is still waiting, in their place, and
// is admitted next.
let platform: Platform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let redis: Redis;
beforeAll(async () => {
  platform = await Platform.start({ env: { VISITA_SFU_NODES: '2' } });
  redis = platform.adminRedis();
  ({ browser, close: closeBrowser } = await launchChromium());
});
afterAll(async () => {
  await closeBrowser?.();
  redis?.disconnect();
  await platform?.dispose();
});

async function page(): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  return context.newPage();
}
/** Frames decoded keep increasing on both pages over `ms`. */
async function mediaFlows(pages: Page[], ms = 1_000): Promise<void> {
  const before = await Promise.all(pages.map(inboundStats));
  await new Promise((r) => setTimeout(r, ms));
  const after = await Promise.all(pages.map(inboundStats));
  for (const [i, a] of after.entries()) expect(a!.video.framesDecoded).toBeGreaterThan(before[i]!.video.framesDecoded);
}
async function checkIn(p: Page, link: string, name: string): Promise<void> {
  await p.goto(link);
  await p.getByTestId('patient-name').fill(name);
  await p.getByTestId('enter-waiting-room').click();
  await p.getByTestId('waiting').waitFor();
}

it('brings a killed SFU node’s call back, then carries the call and the waiting room through a signaling restart', async () => {
  const doctor = await page();
  const patient = await page();
  const next = await page();
  await doctor.goto(platform.doctorUrl);
  await doctor.getByTestId('login-email').fill(platform.login.email);
  await doctor.getByTestId('login-password').fill(platform.login.password);
  await doctor.getByTestId('login-submit').click();
  // Two consultations for the demo practitioner (as the dashboard's button makes them).
  const token = await login(platform.signalingUrl, platform.login.email, platform.login.password);
  const link = async () => {
    const c = await createConsultation(platform.signalingUrl, token);
    return `https://127.0.0.1:${platform.ports.web}/c/${c.consultationId}#t=${c.patientToken}`;
  };
  const [first, second] = [await link(), await link()];
  const id = (l: string) => new URL(l).pathname.split('/')[2]!;
  await checkIn(patient, first, 'Inès Moreau');
  await checkIn(next, second, 'Hugo Petit');
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Inès Moreau' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);

  // 1. The call's node dies: media back on both pages, on the other node; the node is restarted.
  const nodeId = await redis.hget(`visita:consultation:${id(first)}`, 'nodeId');
  expect(nodeId).toMatch(/^sfu-local-[12]$/);
  await Promise.all([markSession(patient), markSession(doctor)]);
  const killedAt = Date.now();
  const nodePid = platform.kill(nodeId!, 'SIGKILL');
  const [p, d] = await Promise.all([freshMedia(patient, killedAt + 15_000), freshMedia(doctor, killedAt + 15_000)]);
  console.log(`media back ${p - killedAt} ms (patient) / ${d - killedAt} ms (doctor) after the SIGKILL of ${nodeId}`);
  expect(await redis.hget(`visita:consultation:${id(first)}`, 'nodeId')).not.toBe(nodeId);
  await platform.restarted(nodeId!, nodePid);
  expect(platform.out).toContain(`${nodeId} was killed by SIGKILL`);
  await mediaFlows([patient, doctor]);

  // 2. Signaling dies: restarted by its supervisor; the media never depended on it.
  const sigPid = platform.kill('signaling', 'SIGKILL');
  await mediaFlows([patient, doctor]);
  await platform.restarted('signaling', sigPid);
  expect(platform.out).toContain('signaling was killed by SIGKILL');
  await mediaFlows([patient, doctor], 2_000);
  // The waiting patient's page is connected again (no banner), and they are still first in the queue.
  await expect.poll(() => next.getByTestId('reconnecting').count(), { timeout: 20_000 }).toBe(0);
  await next.getByTestId('waiting').waitFor();
  const practitionerId = await redis.hget(`visita:consultation:${id(second)}`, 'practitionerId');
  expect(await redis.zrank(`visita:queue:${practitionerId}`, id(second))).toBe(0);
  await doctor.getByTestId('hang-up').click();
  await patient.getByTestId('ended').waitFor({ timeout: 20_000 });
  // The next patient, admitted from the dashboard's live waiting room.
  await doctor.goto(`https://127.0.0.1:${platform.ports.web}/dashboard`);
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Hugo Petit' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();
  await Promise.all([waitForMedia(next), waitForMedia(doctor)]);
});
