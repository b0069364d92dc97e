import type { Browser, Page } from 'playwright-core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClient, createConsultation, login, waitForUsage, type TestClient } from '@visita/signaling/testing';
import { launchChromium, waitForMedia, watchFrames } from './support/browser.ts';
import { Platform } from './support/platform.ts';

// Redis out of reach for 10 s, then for 60 s, under `make start`, during a call between two
// browser pages with two patients waiting (one stays connected, one leaves meanwhile). Media goes
// on; requests answer UNAVAILABLE quickly instead of hanging; both pages show a calm banner; when
// Redis is back signaling carries on by itself (never restarted), the waiting patients are in their
// places and a departure during the outage is given its grace from Redis's return; the practitioner
// hangs up (billed to ±2 s of the media) and admits the next patient; nothing is written twice.
const GRACE_MS = 15_000;
const PRESENCE_TTL_MS = 6_000;
let platform: Platform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let redis: Redis;
let doctor: Page;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await Platform.start({
    env: { VISITA_RECONNECT_GRACE_MS: String(GRACE_MS), VISITA_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) },
  });
  redis = platform.adminRedis();
  ({ browser, close: closeBrowser } = await launchChromium());
  doctor = await page('en-GB');
  await doctor.goto(platform.doctorUrl);
  await doctor.getByTestId('login-email').fill(platform.login.email);
  await doctor.getByTestId('login-password').fill(platform.login.password);
  await doctor.getByTestId('login-submit').click();
  await doctor.getByTestId('new-consultation').waitFor();
});
afterAll(async () => {
  for (const c of clients) c.socket.close();
  await closeBrowser?.();
  redis?.disconnect();
  await platform?.dispose();
});

async function page(locale: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale });
  return context.newPage();
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

it.each([10, 60])('Redis out of reach for %i s: the call goes on, nobody loses their place', async (seconds) => {
  const token = await login(platform.signalingUrl, platform.login.email, platform.login.password);
  const practitioner = await connectClient(platform.signalingUrl, token);
  clients.push(practitioner);
  const call = await createConsultation(platform.signalingUrl, token);
  const patient = await page(seconds === 10 ? 'en-GB' : 'fr-FR');
  await patient.goto(platform.link(call));
  await patient.getByTestId('patient-name').fill('Inès Moreau');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').waitFor();
  // Three more patients: one in a call without media that will leave during the outage, two
  // waiting (one stays, one will leave during the outage).
  const waiting = async (name: string) => {
    const c = await createConsultation(platform.signalingUrl, token);
    const client = await connectClient(platform.signalingUrl, c.patientToken);
    clients.push(client);
    const joined = await client.request('consultation:join', { consultationId: c.consultationId, displayName: name });
    expect(joined.ok).toBe(true);
    return { id: c.consultationId, client };
  };
  const quiet = await waiting('Marc Roux');
  expect((await practitioner.request('consultation:join', { consultationId: quiet.id })).ok).toBe(true);
  expect((await practitioner.request('consultation:admit', { consultationId: quiet.id })).ok).toBe(true);
  const stays = await waiting('Hugo Petit');
  const leaves = await waiting('Léa Girard');
  await doctor.goto(`https://127.0.0.1:${platform.ports.web}/dashboard`);
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Inès Moreau' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  const mediaAt = Date.now();
  const practitionerId = (await redis.hget(`visita:consultation:${stays.id}`, 'practitionerId'))!;
  const queueKey = `visita:queue:${practitionerId}`;
  const queueBefore = await redis.zrange(queueKey, '0', '-1');
  expect(queueBefore).toEqual([stays.id, leaves.id]);
  const signalingPid = platform.pid('signaling');

  const media = watchFrames([patient, doctor]);
  const during = { ackMs: 0, code: '', httpStatus: 0, httpCode: '' };
  const { lostAt, backAt } = await platform.redisOutage(seconds * 1_000, async () => {
    await wait(1_000);
    // A request answers at once, typed, instead of hanging.
    const asked = Date.now();
    const ack = await practitioner.request('queue:watch', {});
    during.ackMs = Date.now() - asked;
    during.code = ack.ok ? 'ok' : ack.code;
    const res = await fetch(`${platform.signalingUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(platform.login),
    });
    during.httpStatus = res.status;
    during.httpCode = ((await res.json()) as { code?: string }).code ?? '';
    // Both pages say so, calmly.
    await Promise.all([
      patient.getByTestId('service-unavailable').waitFor({ timeout: 8_000 }),
      doctor.getByTestId('service-unavailable').waitFor({ timeout: 8_000 }),
    ]);
    // A waiting patient, and a patient in a call, leave while nothing can be written.
    leaves.client.socket.close();
    quiet.client.socket.close();
  });
  const longestGapMs = await media.stop();
  console.log(
    `Redis out for ${backAt - lostAt} ms: a request answered ${during.code} in ${during.ackMs} ms, ` +
      `login HTTP ${during.httpStatus}; the longest time without a new video frame on either page: ${longestGapMs} ms`,
  );
  expect(during).toMatchObject({ code: 'UNAVAILABLE', httpStatus: 503, httpCode: 'UNAVAILABLE' });
  expect(during.ackMs).toBeLessThan(5_000);
  expect(longestGapMs).toBeLessThan(1_500);

  // Back: the banners go, signaling was never restarted, both patients are in their places.
  await Promise.all([
    patient.getByTestId('service-unavailable').waitFor({ state: 'detached', timeout: 10_000 }),
    doctor.getByTestId('service-unavailable').waitFor({ state: 'detached', timeout: 10_000 }),
  ]);
  expect(platform.pid('signaling')).toBe(signalingPid);
  expect(platform.out).not.toMatch(/signaling (was killed|exited)/);
  expect(await redis.zrange(queueKey, '0', '-1')).toEqual(queueBefore);
  // Those who left have their grace period from Redis's return (not from its loss: that would be
  // over already after 60 s), then are gone: the waiting one from the queue, the one in a call from
  // the media, dated when they left (during the outage: not billed for the rest of it).
  const patientDown = async () =>
    (await redis.lrange(`visita:metering:c:${quiet.id}`, 0, -1))
      .map((raw) => JSON.parse(raw) as { type: string; role?: string; at: number })
      .find((e) => e.type === 'media_down' && e.role === 'patient');
  await wait(Math.max(0, backAt + GRACE_MS - 3_000 - Date.now()));
  expect(await redis.zrange(queueKey, '0', '-1')).toEqual(queueBefore);
  expect(await patientDown()).toBeUndefined();
  await expect.poll(patientDown, { timeout: PRESENCE_TTL_MS + 10_000, interval: 500 }).toBeDefined();
  expect((await patientDown())!.at).toBeGreaterThan(lostAt);
  expect((await patientDown())!.at).toBeLessThan(backAt);
  await expect
    .poll(() => redis.zrange(queueKey, '0', '-1'), { timeout: GRACE_MS + PRESENCE_TTL_MS + 10_000, interval: 500 })
    .toEqual([stays.id]);
  const goneAfterMs = Date.now() - backAt;
  console.log(`the patient who left during the outage was removed ${goneAfterMs} ms after Redis came back`);

  // The practitioner hangs up, billed for the media (across the outage), and admits the next one.
  const hangUpAt = Date.now();
  await doctor.getByTestId('hang-up').click();
  await patient.getByTestId('ended').waitFor({ timeout: 15_000 });
  const { billableMs } = await waitForUsage(platform.signalingUrl, token, call.consultationId, 10_000);
  console.log(`media ${hangUpAt - mediaAt} ms, billed ${billableMs} ms`);
  expect(Math.abs(billableMs - (hangUpAt - mediaAt))).toBeLessThan(2_000);
  await doctor.goto(`https://127.0.0.1:${platform.ports.web}/dashboard`);
  await doctor.getByTestId('queue-entry').filter({ hasText: 'Hugo Petit' }).getByRole('button').click();
  await doctor.getByTestId('admit').click();
  await expect.poll(() => redis.sismember('visita:in_call', stays.id), { timeout: 15_000 }).toBe(1);
  for (const id of [stays.id, quiet.id])
    expect((await practitioner.request('consultation:hangUp', { consultationId: id })).ok).toBe(true);
  await patient.context().close();

  // Nothing written twice: every audit record and every metering fact once.
  const audit = (await redis.xrange('visita:audit', '-', '+')).map(([, fields]) => JSON.stringify(fields));
  expect(audit.length - new Set(audit).size).toBe(0);
  const keys = (await redis.xrange('visita:metering', '-', '+')).map(
    ([, f]) => (JSON.parse(f[f.indexOf('e') + 1]!) as { key: string }).key,
  );
  expect(keys.length - new Set(keys).size).toBe(0);
});
