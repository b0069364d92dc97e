import { afterAll, beforeAll, expect, it } from 'vitest';
import { selectedPaths, waitForMedia } from './support/browser.ts';
import { PhoneOnItsOwnNetwork } from './support/phoneNetwork.ts';
import type { E2EStack } from './support/stack.ts';

// A network that blocks UDP (some corporate and hotel networks): the patient's Chromium runs in a
// namespace of its own whose firewall drops every UDP packet, and no TURN server is configured.
// The media server also listens for ICE over TCP: the call must connect over it.
let phoneNet: PhoneOnItsOwnNetwork;
let e2e: E2EStack;
beforeAll(async () => {
  phoneNet = await PhoneOnItsOwnNetwork.start({
    firewall: () => `table inet visita {
      chain out {
        type filter hook output priority 0; policy accept;
        meta l4proto udp counter drop
      }
    }`,
  });
  ({ e2e } = phoneNet);
});
afterAll(() => phoneNet?.stop());

it('connects over ICE-TCP when UDP is blocked, media both ways', async () => {
  const { page: doctor } = await e2e.page();
  const { context, page: patient } = await phoneNet.phonePage('en-GB');
  const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, patient, patientLink, 'Théo Roux');
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  const p = await selectedPaths(patient);
  console.log(`patient: ${JSON.stringify(p)}`);
  // (Chromium reports its active TCP candidate as host or peer-reflexive; the protocol is what counts.)
  expect([p.send.protocol, p.recv.protocol]).toEqual(['tcp', 'tcp']);
  expect([p.send.type, p.recv.type]).not.toContain('relay');
  await context.close();
});
