import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless (Playwright gives it a fresh profile), with a fake camera (640x480 test pattern) and microphone (beep). */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      '--ignore-certificate-errors',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** A self-signed certificate for 127.0.0.1, as `make start` makes one for the LAN address. */
export function selfSignedCert(): { certFile: string; keyFile: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'visita-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=visita-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, dir };
}

export interface InboundStats {
  video: { framesDecoded: number; packetsReceived: number };
  audio: { packetsReceived: number };
}

/** The page's receive-side stats, from RTCPeerConnection.getStats() via the media session. */
export function inboundStats(page: Page): Promise<InboundStats | null> {
  return page.evaluate(async () => (window.__visitaSession ? window.__visitaSession.inboundStats() : null));
}

/**
 * When `page`'s microphone sent its first packet (the browser's clock, the machine's): polled inside
 * the page every 5 ms, so the date is late by at most that and one stats read.
 */
export function firstAudioSentAt(page: Page, timeoutMs = 30_000): Promise<number> {
  return page.evaluate(async (timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = window.__visitaSession;
      if (s && (await s.outboundStats()).audio.packetsSent > 0) return Date.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no audio sent within ${timeoutMs} ms`);
  }, timeoutMs);
}

/** Waits until `page` decodes remote video frames and receives remote audio packets. */
export async function waitForMedia(page: Page, timeoutMs = 30_000): Promise<InboundStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await inboundStats(page);
    if (s && s.video.framesDecoded > 0 && s.audio.packetsReceived > 0) return s;
    if (Date.now() > deadline) throw new Error(`no media after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
