import { afterAll, beforeAll, expect, it } from 'vitest';
import { SERVER_IP } from './support/pageNetwork.ts';
import { PhoneOnItsOwnNetwork } from './support/phoneNetwork.ts';
import type { E2EStack } from './support/stack.ts';

// The device check's network test in a real browser against the real media node: figures on an
// open network; on a network that lets only the web server through (a phone's Chromium in a
// namespace of its own behind nftables), "cannot be reached", and the patient waits all the same,
// the practitioner told why the video may not come.
let phoneNet: PhoneOnItsOwnNetwork;
let e2e: E2EStack;
beforeAll(async () => {
  phoneNet = await PhoneOnItsOwnNetwork.start({
    firewall: (webPort) => `table inet visita {
      chain out {
        type filter hook output priority 0; policy accept;
        ip daddr ${SERVER_IP} tcp dport ${webPort} accept
        ip daddr ${SERVER_IP} counter drop
      }
    }`,
  });
  ({ e2e } = phoneNet);
});
afterAll(() => phoneNet?.stop());

const probes = () => e2e.stack.node.status().probes;

it('measures the path to the media server before the waiting room, and closes its test', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await patient.goto(patientLink);
  const test = patient.getByTestId('network-test');
  await expect.poll(() => test.getAttribute('data-status'), { timeout: 30_000 }).toBe('good');
  expect(await test.getAttribute('data-path')).toBe('host/udp');
  expect(Number(await test.getAttribute('data-rtt'))).toBeLessThan(100);
  await expect.poll(() => test.locator('.hint').textContent()).toMatch(/^Round trip \d+\sms · upload [\d.]+\sMbit\/s/);
  console.log(`network test on an open network: ${await test.locator('.hint').textContent()}`);
  expect(await test.getByRole('status').textContent()).toContain('Good connection');
  // The test's room is gone from the node once it is over.
  await expect.poll(probes).toBe(0);
  // Again on request: a new test, measured the same way.
  await test.getByTestId('network-retry').click();
  await expect.poll(() => test.getAttribute('data-status'), { timeout: 30_000 }).toBe('good');
  await patient.getByTestId('patient-name').fill('Inès Moreau');
  await patient.getByTestId('enter-waiting-room').click();
  const entry = doctor.getByTestId('queue-entry').filter({ hasText: 'Inès Moreau' });
  await entry.waitFor();
  expect(await entry.getByTestId('network-badge').count()).toBe(0);
  await expect.poll(probes).toBe(0);
});

it('says when the media server cannot be reached from the network, and the patient can wait all the same', async () => {
  const { page: doctor } = await e2e.page();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  const { context, page: patient } = await phoneNet.phonePage('fr-FR');
  await patient.goto(patientLink);
  const test = patient.getByTestId('network-test');
  await expect.poll(() => test.getByRole('status').textContent()).toContain('Test de la connexion');
  await expect.poll(() => test.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
  expect(await test.getByRole('status').textContent()).toContain('Le service vidéo est injoignable depuis ce réseau');
  await patient.getByTestId('patient-name').fill('Louis Petit');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').waitFor();
  const entry = doctor.getByTestId('queue-entry').filter({ hasText: 'Louis Petit' });
  await expect
    .poll(() => entry.getByTestId('network-badge').textContent())
    .toBe('video service unreachable from their network');
  await expect.poll(probes).toBe(0);
  await context.close();
});
