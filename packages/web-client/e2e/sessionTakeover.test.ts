import { afterAll, beforeAll, expect, it } from 'vitest';
import { E2EStack } from './support/stack.ts';
import { inboundStats, waitForMedia } from './support/browser.ts';

// The same patient link opened on a phone, then on a laptop, during the call: the laptop takes
// over, the phone says so and lets go of its camera, and the practitioner sees the laptop.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('keeps one patient session per link: the newer device takes over the call', async () => {
  const { page: doctor } = await e2e.page();
  const { page: phone } = await e2e.page();
  const { page: laptop } = await e2e.page();
  const { consultationId, patientLink } = await e2e.doctorCreatesConsultation(doctor);
  await e2e.admitPatient(doctor, phone, patientLink, 'Léa Bernard');
  await Promise.all([waitForMedia(phone), waitForMedia(doctor)]);

  await laptop.goto(patientLink);
  await laptop.getByTestId('patient-name').fill('Léa Bernard');
  await laptop.getByTestId('enter-waiting-room').click();
  await phone.getByTestId('replaced').waitFor();
  // The phone released its camera and microphone.
  await expect
    .poll(() =>
      phone.evaluate(
        () =>
          [...document.querySelectorAll('video')]
            .flatMap((v) => (v.srcObject as MediaStream | null)?.getTracks() ?? [])
            .filter((t) => t.readyState === 'live').length,
      ),
    )
    .toBe(0);
  // The call goes on with the laptop: both directions, and the doctor's picture keeps moving.
  const [, fromLaptop] = await Promise.all([waitForMedia(laptop), waitForMedia(doctor)]);
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await inboundStats(doctor))!.video.framesDecoded).toBeGreaterThan(fromLaptop.video.framesDecoded);
  // One patient peer on the node, with one microphone and one camera.
  const room = await e2e.stack.node.handlers['room.get']({ roomId: consultationId });
  const patientPeer = room.peers.find((p) => p.peerId === 'patient');
  expect(patientPeer?.producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
  await doctor.getByTestId('hang-up').click();
  await laptop.getByTestId('ended').waitFor();
});
