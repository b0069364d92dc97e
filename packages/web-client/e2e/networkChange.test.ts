import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inboundStats, waitForMedia } from './support/browser.ts';
import type { PageNetwork } from './support/pageNetwork.ts';
import { PhoneOnItsOwnNetwork } from './support/phoneNetwork.ts';
import type { E2EStack } from './support/stack.ts';

// A phone changing networks during a consultation: the patient's Chromium runs in a network
// namespace of its own, whose link the test cuts for 5 s — once coming back on the same address,
// once on another one (Wi-Fi → 4G). Media must come back on both sides with no click, on the same
// media session (an ICE restart, not a rebuilt call). Times are printed, not asserted.
let phoneNet: PhoneOnItsOwnNetwork;
let e2e: E2EStack;
let net: PageNetwork;
beforeAll(async () => {
  phoneNet = await PhoneOnItsOwnNetwork.start();
  ({ e2e, net } = phoneNet);
});
afterAll(() => phoneNet?.stop());

const OUTAGE_MS = 5_000;

/** The page's session gets a tag; `sameSession` tells whether the page still runs that one. */
const tag = (page: Page) =>
  page.evaluate(() => {
    (window.__visitaSession as unknown as { tag?: string }).tag = 'before the cut';
  });
const sameSession = (page: Page) =>
  page.evaluate(() => (window.__visitaSession as unknown as { tag?: string } | null)?.tag === 'before the cut');
const iceRestarts = (page: Page) => page.evaluate(() => window.__visitaSession?.iceRestarts ?? -1);

/** When `page` decodes new video frames and receives new audio again (after `since`). */
async function mediaMovingAgain(page: Page, deadline: number): Promise<number> {
  const before = await inboundStats(page);
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await inboundStats(page);
    if (
      before &&
      now &&
      now.video.framesDecoded > before.video.framesDecoded + 5 &&
      now.audio.packetsReceived > before.audio.packetsReceived + 10
    )
      return Date.now();
    if (Date.now() > deadline) throw new Error(`media did not come back: ${JSON.stringify({ before, now })}`);
  }
}

async function cutAndRestore(patient: Page, doctor: Page, newAddress?: string): Promise<void> {
  await Promise.all([tag(patient), tag(doctor)]);
  const restartsBefore = await iceRestarts(patient);
  net.setLink(false);
  const cutAt = Date.now();
  // The patient's page says it is reconnecting (FR/EN text, a status role).
  await patient.getByTestId('reconnecting').waitFor({ timeout: OUTAGE_MS });
  await new Promise((r) => setTimeout(r, cutAt + OUTAGE_MS - Date.now()));
  if (newAddress) net.changeAddress(newAddress);
  net.setLink(true);
  const upAt = Date.now();
  // Media measured from the network's return, once nothing moved during the cut.
  const [patientBack, doctorBack] = await Promise.all([
    mediaMovingAgain(patient, upAt + 30_000),
    mediaMovingAgain(doctor, upAt + 30_000),
  ]);
  const restarts = (await iceRestarts(patient)) - restartsBefore;
  console.log(
    `${newAddress ? `new address ${newAddress}` : 'same address'}: media back ${patientBack - upAt} ms (patient) / ${doctorBack - upAt} ms (doctor) after the network returned; ${restarts} ICE restart(s)`,
  );
  // No click, no rebuilt call: both pages still run the session they had before the cut.
  expect(await sameSession(patient)).toBe(true);
  expect(await sameSession(doctor)).toBe(true);
  await patient.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 10_000 });
  if (newAddress) expect(restarts).toBeGreaterThanOrEqual(1);
}

it('keeps a call through a 5 s network cut and a change of address, restarting ICE by itself', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await phoneNet.phonePage('en-GB');
  const { consultationId, patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, patient, patientLink, 'Lucie Bernard');
  await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);

  await cutAndRestore(patient, doctor);
  await cutAndRestore(patient, doctor, '10.77.1.3');

  // Still one call on the node, each side consuming the other's two streams.
  const room = await e2e.stack.node.handlers['room.get']({ roomId: consultationId });
  expect(room.peers.map((p) => [p.peerId, p.consumers]).sort()).toEqual([
    ['patient', 2],
    ['practitioner', 2],
  ]);
});
