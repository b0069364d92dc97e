import { afterAll, beforeAll, expect, it } from 'vitest';
import { devices, type Page } from 'playwright-core';
import { waitForMedia } from './support/browser.ts';
import { E2EStack } from './support/stack.ts';

// An iPhone sends H264 (hardware) — but only to a receiver that decodes it. A practitioner whose
// browser decodes no H264 (Debian's Firefox ESR, built without OpenH264; some Android and Linux
// browsers) gets the iPhone's camera in VP8, which Safari sends as well. Here the practitioner is
// a Chromium whose WebRTC is made to offer no H264, as such a browser does.
let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start();
});
afterAll(async () => {
  await e2e?.stop();
});

/** A page whose WebRTC neither offers nor answers H264 (what mediasoup-client reads of the browser). */
async function withoutH264(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const strip = (sdp: string | undefined): string | undefined => {
      if (!sdp) return sdp;
      const h264 = new Set([...sdp.matchAll(/^a=rtpmap:(\d+) H264\/90000/gim)].map((m) => m[1]!));
      // Their retransmission formats go too (a=fmtp:<rtx> apt=<h264>).
      for (const m of sdp.matchAll(/^a=fmtp:(\d+) apt=(\d+)/gim)) if (h264.has(m[2]!)) h264.add(m[1]!);
      return sdp
        .split('\r\n')
        .filter((line) => {
          const pt = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)/.exec(line)?.[1];
          return !(pt && h264.has(pt));
        })
        .map((line) =>
          line.startsWith('m=video')
            ? line
                .split(' ')
                .filter((part, i) => i < 3 || !h264.has(part))
                .join(' ')
            : line,
        )
        .join('\r\n');
    };
    const offer = RTCPeerConnection.prototype.createOffer;
    RTCPeerConnection.prototype.createOffer = async function (this: RTCPeerConnection, ...args: unknown[]) {
      const o = (await (offer as (...a: unknown[]) => Promise<RTCSessionDescriptionInit>).apply(this, args)) ?? {};
      return { type: o.type, sdp: strip(o.sdp) } as RTCSessionDescriptionInit;
    } as typeof offer;
    const answer = RTCPeerConnection.prototype.createAnswer;
    RTCPeerConnection.prototype.createAnswer = async function (this: RTCPeerConnection, ...args: unknown[]) {
      const a = (await (answer as (...a: unknown[]) => Promise<RTCSessionDescriptionInit>).apply(this, args)) ?? {};
      return { type: a.type, sdp: strip(a.sdp) } as RTCSessionDescriptionInit;
    } as typeof answer;
  });
}

it("an iPhone patient's camera reaches a practitioner who cannot decode H264 (sent in VP8), and H264 to one who can", async () => {
  const { defaultBrowserType: _, ...iphone } = devices['iPhone 13'];
  const sentCodec = (page: Page) =>
    page.evaluate(async () => (await window.__visitaSession?.sentVideoCodec())?.toLowerCase());

  for (const doctorDecodesH264 of [false, true]) {
    const doctorContext = await e2e.browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
    const doctor = await doctorContext.newPage();
    if (!doctorDecodesH264) await withoutH264(doctor);
    const patientContext = await e2e.browser.newContext({ ...iphone, ignoreHTTPSErrors: true, locale: 'en-GB' });
    const patient = await patientContext.newPage();
    const warnings: string[] = [];
    doctor.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));

    const { patientLink } = await e2e.doctorCreatesConsultation(doctor);
    await e2e.admitPatient(doctor, patient, patientLink, doctorDecodesH264 ? 'Iris Chrome' : 'Iris Firefox');
    // The practitioner sees the iPhone's camera: frames decoded.
    const stats = await waitForMedia(doctor, 20_000);
    expect(stats.video.framesDecoded).toBeGreaterThan(0);
    await expect
      .poll(() => sentCodec(patient), { timeout: 10_000 })
      .toBe(doctorDecodesH264 ? 'video/h264' : 'video/vp8');
    console.log(
      `practitioner ${doctorDecodesH264 ? 'with' : 'without'} H264: the iPhone sends ${await sentCodec(patient)}; page warnings: ${warnings.length}`,
    );
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
    await doctorContext.close();
    await patientContext.close();
  }
});
