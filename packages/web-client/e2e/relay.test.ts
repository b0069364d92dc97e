import { afterAll, beforeAll, expect, it } from 'vitest';
import { selectedPaths, waitForMedia } from './support/browser.ts';
import { PageNetwork, SERVER_IP } from './support/pageNetwork.ts';
import { E2EStack } from './support/stack.ts';
import { TurnServer } from '@visita/signaling/testing/turnServer';

// Reaching the media server from a network that only lets a TURN server through: coturn with the
// shared-secret scheme, signaling handing short-lived credentials with each transport and the
// `relay` policy. The patient's Chromium runs in a namespace of its own whose firewall lets
// through only the web server and the TURN port: its media can only be relayed. The practitioner
// is relay-only too (the policy is the deployment's).
let e2e: E2EStack;
let net: PageNetwork;
let turn: TurnServer;
let phone: Awaited<ReturnType<PageNetwork['launchChromium']>> | undefined;
beforeAll(async () => {
  net = PageNetwork.create();
  turn = await TurnServer.start(SERVER_IP);
  e2e = await E2EStack.start({ host: SERVER_IP, env: turn.env('relay') });
  phone = await net.launchChromium();
  const webPort = new URL(e2e.webUrl).port;
  net.firewall(`table inet visita {
    chain out {
      type filter hook output priority 0; policy accept;
      ip daddr ${SERVER_IP} tcp dport { ${webPort}, ${turn.port} } accept
      ip daddr ${SERVER_IP} udp dport ${turn.port} accept
      ip daddr ${SERVER_IP} counter drop
    }
  }`);
});
afterAll(async () => {
  await phone?.close().catch(() => undefined);
  await e2e?.stop();
  await turn?.stop();
  net?.destroy();
});

it("tests the patient's network through TURN before the waiting room, as the call will go", async () => {
  const { page: doctor } = await e2e.page();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  const context = await phone!.browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  const patient = await context.newPage();
  await patient.goto(patientLink);
  const test = patient.getByTestId('network-test');
  await expect.poll(() => test.getAttribute('data-status'), { timeout: 30_000 }).toBe('good');
  expect(await test.getAttribute('data-path')).toBe('relay/udp');
  await context.close();
});

it('carries a call through TURN only: relayed candidates on both sides, media both ways', async () => {
  const { page: doctor } = await e2e.page();
  const context = await phone!.browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  const patient = await context.newPage();
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, patient, patientLink, 'Manon Girard');
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);

  for (const [who, page] of [
    ['patient', patient],
    ['practitioner', doctor],
  ] as const) {
    const p = await selectedPaths(page);
    console.log(`${who}: ${JSON.stringify(p)}`);
    expect(p.send.type, who).toBe('relay');
    expect(p.recv.type, who).toBe('relay');
  }
  // coturn accepted allocations made with the credentials signaling handed out (expiry:subject),
  // the patient's and the practitioner's.
  const allocations = turn.log().match(/user <\d+:(pt|pr)-[\w-]+>: incoming packet ALLOCATE processed, success/g) ?? [];
  expect(new Set(allocations.map((a) => a.slice(a.indexOf(':') + 1, a.indexOf(':') + 3)))).toEqual(
    new Set(['pt', 'pr']),
  );
  await context.close();
});
