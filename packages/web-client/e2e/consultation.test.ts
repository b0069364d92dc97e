import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForUsage } from '@visita/signaling/testing';
import { E2EStack } from './support/stack.ts';
import { billingStartWindow } from './support/billing.ts';
import { firstAudioSent, inboundStats, waitForMedia } from './support/browser.ts';

let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

it('patient waits (position, message), is admitted; both see and hear each other through the SFU; hang-up frees the router', async () => {
  const { page: doctor } = await e2e.page();
  const { page: patient } = await e2e.page();
  const { consultationId, patientLink } = await e2e.doctorCreatesConsultation(doctor);

  // The patient checks devices, names themself, gives a reason and waits: first in line.
  await patient.goto(patientLink);
  await patient.getByTestId('patient-name').fill('Alice Martin');
  await patient.getByTestId('patient-reason').fill('Sore throat');
  await patient.getByTestId('enter-waiting-room').click();
  await patient.getByTestId('waiting').getByText('Your practitioner is online.').waitFor();
  await patient.getByTestId('position').getByText('You are next.').waitFor();

  // The doctor's waiting room shows her, live; the doctor opens her consultation and sends a message.
  const entry = doctor.getByTestId('queue-entry').filter({ hasText: 'Alice Martin' });
  await entry.waitFor();
  await expect(entry.textContent()).resolves.toContain('Sore throat');
  await entry.getByRole('button').click();
  await doctor.getByTestId('patient-waiting').waitFor();
  await expect(doctor.getByTestId('patient-waiting').textContent()).resolves.toContain('Alice Martin');
  await doctor.getByTestId('message-text').fill('Running 2 minutes late');
  await doctor.getByTestId('message-send').click();
  await patient.getByTestId('practitioner-message').getByText('Running 2 minutes late').waitFor();

  // They chat while she waits.
  await patient.getByTestId('chat-input').fill('Should I have my prescription ready?');
  await patient.getByTestId('chat-send').click();
  await doctor.getByTestId('chat-messages').getByText('Should I have my prescription ready?').waitFor();
  await doctor.getByTestId('chat-input').fill('Yes please.');
  await doctor.getByTestId('chat-send').click();
  await patient.getByTestId('chat-messages').getByText('Yes please.').waitFor();

  // Admitted: the call starts. Each side's media is up when its microphone's first packet leaves.
  const sent = Promise.all([firstAudioSent(patient), firstAudioSent(doctor)]);
  await doctor.getByTestId('admit').click();

  // The measured media time starts when audio reaches both browsers (what billing counts).
  const audioFlowing = async (page: typeof patient) => {
    for (;;) {
      const s = await inboundStats(page);
      if (s && s.audio.packetsReceived > 0) return Date.now();
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const mediaAt = Math.max(...(await Promise.all([audioFlowing(patient), audioFlowing(doctor)])));
  // Media flows both ways, and keeps flowing.
  const [p1, d1] = await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
  await new Promise((r) => setTimeout(r, 2_000));
  const [p2, d2] = await Promise.all([inboundStats(patient), inboundStats(doctor)]);
  for (const [before, after] of [
    [p1, p2],
    [d1, d2],
  ] as const) {
    expect(after!.video.framesDecoded).toBeGreaterThan(before.video.framesDecoded);
    expect(after!.audio.packetsReceived).toBeGreaterThan(before.audio.packetsReceived);
  }
  expect(e2e.stack.node.roomIds).toEqual([consultationId]);
  // Each side consumes exactly the other's microphone and camera: no producer consumed twice
  // (the new-producer event and the producer list used to race at start).
  const room = await e2e.stack.node.handlers['room.get']({ roomId: consultationId });
  expect(room.peers.map((p) => [p.peerId, p.consumers]).sort()).toEqual([
    ['patient', 2],
    ['practitioner', 2],
  ]);

  // The patient hangs up: both see the end, and the SFU closed the router.
  const endAt = Date.now();
  await patient.getByTestId('hang-up').click();
  await doctor.getByTestId('ended').waitFor();
  await patient.getByTestId('ended').waitFor();
  expect(e2e.stack.node.roomIds).toEqual([]);
  for (const w of e2e.stack.pool.workers) expect((await w.dump()).routerIds).toEqual([]);

  // Billed: the media time, within a second (usage API, as the practitioner sees it).
  const token = await e2e.stack.login();
  const period = new Date().toISOString().slice(0, 7);
  const { billableMs, intervals } = await waitForUsage(e2e.stack.signalingUrl, token, consultationId);
  expect(Math.abs(billableMs - (endAt - mediaAt))).toBeLessThan(1_000);
  // Billing starts when the media does, to 100 ms: when the later side's microphone packets first
  // reach the SFU (sent, and its producer created), as the browsers and the audit log date it.
  const [patientSent, doctorSent] = await sent;
  const { lo, hi } = await billingStartWindow(e2e.stack, consultationId, {
    patient: patientSent!,
    practitioner: doctorSent!,
  });
  const start = intervals[0]!.start;
  console.log(`billing started at ${start - lo} ms into the media-start window [0, ${hi - lo}] ms`);
  expect(start).toBeGreaterThanOrEqual(lo - 100);
  expect(start).toBeLessThanOrEqual(hi + 100);
  // Shown in the test output: the record and its export lines, as an auditor would check them.
  const show = async (format: string) =>
    (
      await (
        await fetch(`${e2e.stack.signalingUrl}/api/usage?period=${period}&format=${format}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).text()
    )
      .split('\n')
      .filter((l) => l.includes(consultationId))
      .join('\n');
  // The practitioner's usage page shows the consultation.
  await doctor.getByRole('button', { name: 'Back' }).click();
  await doctor.getByTestId('nav-usage').click();
  await doctor
    .getByTestId('usage-total')
    .getByText(/Total for the month: [1-9]\ssecs?/)
    .waitFor();
  console.log(
    `measured media time ${endAt - mediaAt} ms, billed ${billableMs} ms\nCSV: ${await show('csv')}\nmeter event: ${await show('meter-events')}`,
  );
});
