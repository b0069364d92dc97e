import { readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync } from 'node:zlib';
import { devices } from 'playwright-core';
import { machine, measuredCode, writeSection } from '../../../scripts/benchmarksDoc.ts';
import { E2EStack } from './support/stack.ts';

// Weight on a phone network: a patient opens their link on an iPhone 13 (emulated) over Chrome
// DevTools' "Slow 4G" profile (562.5 ms latency, 180,000 B/s down, 84,375 B/s up: the values of
// DevTools' Slow4GConditions), cache disabled, through the real web server (HTTPS, HTTP/1.1).
// Measured per run: from navigation to an interactive device check (the name field enabled, the
// microphone meter shown), and the bytes the page received until then; then the scripts fetched
// once in the waiting room. Prints the figures and writes docs/benchmarks.md.
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 };

const e2e = await E2EStack.start();
const { defaultBrowserType: _, ...iphone } = devices['iPhone 13'];
const toCheck: number[] = [];
const bytesToCheck: number[] = [];
const scripts = new Map<string, number>();
try {
  const token = await e2e.stack.login();
  for (let run = 0; run < RUNS; run++) {
    const { consultationId, patientToken } = await e2e.stack.createConsultation(token);
    const context = await e2e.browser.newContext({ ...iphone, locale: 'en-GB', ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    let received = 0;
    const urls = new Map<string, string>();
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
    cdp.on('Network.loadingFinished', (e) => {
      received += e.encodedDataLength;
      const url = urls.get(e.requestId) ?? '';
      if (url.endsWith('.js')) scripts.set(new URL(url).pathname, e.encodedDataLength);
    });
    const started = Date.now();
    await page.goto(`${e2e.webUrl}/c/${consultationId}#t=${patientToken}`, { waitUntil: 'commit' });
    await page.getByTestId('mic-meter').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=patient-name]:not([disabled])').waitFor();
    toCheck.push(Date.now() - started);
    bytesToCheck.push(received);
    // The waiting room's code, fetched meanwhile (counted in `scripts`).
    await page.getByTestId('patient-name').fill('Bench Patient');
    await page.getByTestId('enter-waiting-room').click();
    await page.getByTestId('waiting').waitFor({ timeout: 60_000 });
    console.log(
      `run ${run + 1}/${RUNS}: device check interactive after ${toCheck.at(-1)} ms (${bytesToCheck.at(-1)} bytes), ${received} bytes up to the waiting room`,
    );
    await context.close();
  }
} finally {
  await e2e.stop();
}

const sorted = [...toCheck].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
const assets = new URL('../dist/assets/', import.meta.url);
const distGz = readdirSync(assets).map((f) => {
  const raw = readFileSync(new URL(f, assets));
  return { f, raw: raw.length, br: brotliCompressSync(raw).length };
});
const table = [
  '| asset | raw | brotli (as served) |',
  '|---|---|---|',
  ...distGz
    .sort((a, b) => b.br - a.br)
    .map((d) => `| ${d.f.replace(/-[\w-]{8}\./, '.')} | ${kb(d.raw)} | ${kb(d.br)} |`),
].join('\n');
const body = `Measured ${new Date().toISOString().slice(0, 10)} at ${measuredCode()} on ${machine()}: ${RUNS} runs, iPhone 13 emulation in
Debian's Chromium, DevTools' Slow 4G profile (562.5 ms latency, 180,000 B/s down, 84,375 B/s up),
cache disabled, the real web server over HTTPS.

- Link opened → interactive device check (camera preview and microphone meter shown, name field
  ready): median **${median} ms** (min ${sorted[0]} ms, max ${sorted.at(-1)} ms).
- Bytes received until then (compressed on the wire, headers included): median
  ${kb([...bytesToCheck].sort((a, b) => a - b)[Math.floor(bytesToCheck.length / 2)]!)}.
- Scripts fetched by the patient up to the waiting room (the call's, CallView, is fetched while
  waiting): ${[...scripts.keys()].map((p) => p.replace('/assets/', '').replace(/-[\w-]{8}\./, '.')).join(', ')}.

The build's assets (the web server sends them brotli-compressed, or gzip, as the browser accepts):

${table}`;
console.log(`\n${body}`);
writeSection('Patient page on a slow phone network (`make bench-load`)', body);
