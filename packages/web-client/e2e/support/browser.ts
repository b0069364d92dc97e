import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium's flags for the tests: fake camera and microphone, no first-run or background traffic. */
export const CHROMIUM_ARGS = [
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
];

/**
 * Every page of `browser` has the client's diagnostics on (the media session on `window`, for the
 * tests' getStats() checks), set before any page script runs, as support would ask a user to.
 */
export function withDiagnostics(browser: Browser): Browser {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(() => {
      try {
        localStorage.setItem('visita.diagnostics', '1');
      } catch {
        // about:blank and other opaque origins have no storage
      }
    });
    return context;
  };
  return browser;
}

/** Debian's Chromium, headless (Playwright gives it a fresh profile), with a fake camera (640x480 test pattern) and microphone (beep). */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = withDiagnostics(
    await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    }),
  );
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

/** Chromium serves a getStats() result up to this old from its cache. */
const STATS_CACHE_MS = 50;

/**
 * When `page`'s microphone sent its first packet, as a window on the machine's clock: after `after`
 * (the last poll that saw none, less the stats cache's age) and by `by` (the end of the first poll
 * that saw one). Polled inside the page every 5 ms; under load a poll can take long, and the window
 * says so.
 */
export function firstAudioSent(page: Page, timeoutMs = 30_000): Promise<{ after: number; by: number }> {
  return page.evaluate(
    async ({ timeoutMs, cacheMs }) => {
      const deadline = Date.now() + timeoutMs;
      let after = Date.now() - cacheMs;
      while (Date.now() < deadline) {
        const s = window.__visitaSession;
        const start = Date.now();
        if (s && (await s.outboundStats()).audio.packetsSent > 0) return { after, by: Date.now() };
        after = start - cacheMs;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`no audio sent within ${timeoutMs} ms`);
    },
    { timeoutMs, cacheMs: STATS_CACHE_MS },
  );
}

/** How each of `page`'s transports reaches the node, once both have a selected ICE pair. */
export async function selectedPaths(
  page: Page,
  timeoutMs = 10_000,
): Promise<Record<'send' | 'recv', { type: string; protocol: string }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await page.evaluate(async () => (window.__visitaSession ? window.__visitaSession.paths() : null));
    if (p?.send && p.recv) return { send: p.send, recv: p.recv };
    if (Date.now() > deadline) throw new Error(`no selected ICE pair after ${timeoutMs} ms: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
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

/** Marks `page`'s media session now: `freshMedia` waits for a newer one (rebuilt after a loss). */
export async function markSession(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window.__visitaSession as unknown as { old?: boolean }).old = true;
  });
}

/** Waits for a media session newer than the marked one that decodes video and receives audio; resolves when. */
export async function freshMedia(page: Page, deadline: number): Promise<number> {
  for (;;) {
    const fresh = await page.evaluate(
      () => window.__visitaSession && !(window.__visitaSession as unknown as { old?: boolean }).old,
    );
    const s = fresh ? await inboundStats(page) : null;
    if (s && s.video.framesDecoded > 0 && s.audio.packetsReceived > 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`no media on a new session: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Samples `pages`' decoded video frames every 250 ms until stopped; `stop()` resolves with the
 * longest time any of them went without a new frame.
 */
export function watchFrames(pages: Page[]): { stop: () => Promise<number> } {
  let running = true;
  let longest = 0;
  const loop = (async () => {
    const last = pages.map(() => ({ frames: -1, at: Date.now() }));
    while (running) {
      const stats = await Promise.all(pages.map(inboundStats));
      const now = Date.now();
      for (const [i, s] of stats.entries()) {
        const frames = s?.video.framesDecoded ?? 0;
        if (frames > last[i]!.frames) last[i] = { frames, at: now };
        longest = Math.max(longest, now - last[i]!.at);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return longest;
    },
  };
}
