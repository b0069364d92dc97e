import { execFileSync } from 'node:child_process';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

// Debian's Firefox ESR, driven through WebDriver BiDi (puppeteer-core): fake camera and
// microphone without a prompt, ICE on loopback (off by default in Firefox), a mock audio context
// (no sound card here: audio never starts otherwise), autoplay allowed as for Chromium. Debian's
// Firefox has OpenH264 off: it decodes no H264, as many Linux and some Android browsers.
export const FIREFOX_PATH = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';

/**
 * Firefox gathers no ICE candidate on loopback alone (even with `media.peerconnection.ice.loopback`):
 * it needs an interface with a default route. A veth pair in the test's network namespace gives it
 * one; the servers listen on its address (`FIREFOX_HOST`). Removed afterwards (its route with it).
 */
export const FIREFOX_HOST = '10.78.0.1';
const LINK = 'vvisita-ff0';

export function firefoxNetwork(): { host: string; remove: () => void } {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('link', 'add', LINK, 'type', 'veth', 'peer', 'name', 'vvisita-ff1');
  ip('addr', 'add', `${FIREFOX_HOST}/24`, 'dev', LINK);
  ip('link', 'set', LINK, 'up');
  ip('link', 'set', 'vvisita-ff1', 'up');
  ip('route', 'add', 'default', 'via', '10.78.0.2', 'dev', LINK);
  return { host: FIREFOX_HOST, remove: () => ip('link', 'del', LINK) };
}

export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    acceptInsecureCerts: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.peerconnection.ice.loopback': true,
      'media.cubeb.force_mock_context': true,
      'media.autoplay.default': 0,
      'intl.accept_languages': 'en-GB',
    },
  });
}

/** A page with the client's diagnostics on (the media session on `window`), as the Chromium pages have. */
export async function firefoxPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(() => {
    try {
      localStorage.setItem('visita.diagnostics', '1');
    } catch {
      // about:blank has no storage
    }
  });
  page.on('pageerror', (e) => console.error(`[firefox page error] ${(e as Error).message}`));
  return page;
}

/** What the page's media session received so far (frames decoded, audio packets), or null before a call. */
export function firefoxInbound(
  page: Page,
): Promise<{ video: { framesDecoded: number }; audio: { packetsReceived: number } } | null> {
  return page.evaluate(async () => {
    const s = (window as unknown as { __visitaSession?: { inboundStats(): Promise<unknown> } }).__visitaSession;
    return (s ? await s.inboundStats() : null) as never;
  });
}

/** Waits until the Firefox page decodes video and receives audio. */
export async function firefoxWaitForMedia(page: Page, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await firefoxInbound(page);
    if (s && s.video.framesDecoded > 0 && s.audio.packetsReceived > 0) return;
    if (Date.now() > deadline) throw new Error(`Firefox: no media after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
