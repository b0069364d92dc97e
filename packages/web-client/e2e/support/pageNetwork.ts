import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, withDiagnostics } from './browser.ts';

// A phone's network, inside the test's own network namespace: a Chromium whose only way out is a
// veth pair into a namespace of its own, so a test can cut that page's network (link down) or give
// it another address (Wi-Fi → 4G) without touching the servers or the other pages. The servers
// listen on SERVER_IP, an address on the test namespace's loopback, reachable from both sides.

export const SERVER_IP = '10.77.0.1';
const HOST_SIDE = 'vvisita-h';
const PAGE_SIDE = 'vvisita-p';
const HOST_IP = '10.77.1.1';
const PAGE_IP = '10.77.1.2';
/** How long Chromium may take to see a link change and be done with it. */
const NETWORK_SETTLE_MS = 2_000;

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export class PageNetwork {
  readonly #dir: string;
  #pid: number | null = null;
  #address = PAGE_IP;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** SERVER_IP on loopback and the host side of the veth pair (run before the servers start). */
  static create(): PageNetwork {
    ip('addr', 'add', `${SERVER_IP}/32`, 'dev', 'lo');
    ip('link', 'add', HOST_SIDE, 'type', 'veth', 'peer', 'name', PAGE_SIDE);
    ip('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_SIDE);
    ip('link', 'set', HOST_SIDE, 'up');
    return new PageNetwork(mkdtempSync(join(tmpdir(), 'visita-netns-')));
  }

  get address(): string {
    return this.#address;
  }

  /**
   * A Chromium in a network namespace of its own: a wrapper unshares the namespace, waits for the
   * page side of the veth pair to be moved in, sets its address and route, then becomes Chromium.
   */
  async launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
    const pidFile = join(this.#dir, 'pid');
    const wrapper = join(this.#dir, 'chromium-in-netns');
    writeFileSync(
      wrapper,
      `#!/bin/sh
exec unshare -n sh -c '
  echo $$ > "${pidFile}"
  i=0
  while ! ip link show ${PAGE_SIDE} >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 400 ] && exit 90; sleep 0.05; done
  ip link set lo up && ip addr add ${PAGE_IP}/24 dev ${PAGE_SIDE} && ip link set ${PAGE_SIDE} up && ip route add default via ${HOST_IP} || exit 91
  exec "${process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'}" "$@"' sh "$@"
`,
    );
    chmodSync(wrapper, 0o755);
    const launched = chromium.launch({ executablePath: wrapper, headless: true, args: CHROMIUM_ARGS });
    const deadline = Date.now() + 10_000;
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error('the page namespace did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    this.#pid = Number(readFileSync(pidFile, 'utf8').trim());
    ip('link', 'set', PAGE_SIDE, 'netns', String(this.#pid));
    const browser = withDiagnostics(await launched);
    // The host side just got its carrier: every Chromium of the test's namespace sees a network
    // change and aborts what it was loading (ERR_NETWORK_CHANGED). Let that pass first.
    await new Promise((r) => setTimeout(r, NETWORK_SETTLE_MS));
    return { browser, close: () => browser.close() };
  }

  /** The page's network goes away (its link loses carrier), or comes back. */
  setLink(up: boolean): void {
    ip('link', 'set', HOST_SIDE, up ? 'up' : 'down');
  }

  /** The page's device gets another address (another network); what used it is cut. */
  changeAddress(next: string): void {
    if (this.#pid === null) throw new Error('no page namespace yet');
    const inPage = (...args: string[]) =>
      execFileSync('nsenter', ['-t', String(this.#pid), '-n', 'ip', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    // The old address goes first (removing a primary address would take a secondary with it).
    inPage('addr', 'del', `${this.#address}/24`, 'dev', PAGE_SIDE);
    inPage('addr', 'add', `${next}/24`, 'dev', PAGE_SIDE);
    inPage('route', 'replace', 'default', 'via', HOST_IP, 'dev', PAGE_SIDE, 'onlink');
    this.#address = next;
  }

  /** Loads an nftables ruleset into the page's namespace (what its network lets through). */
  firewall(ruleset: string): void {
    if (this.#pid === null) throw new Error('no page namespace yet');
    execFileSync('nsenter', ['-t', String(this.#pid), '-n', 'nft', '-f', '-'], {
      input: ruleset,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  }

  destroy(): void {
    for (const args of [
      ['link', 'del', HOST_SIDE],
      ['addr', 'del', `${SERVER_IP}/32`, 'dev', 'lo'],
    ])
      try {
        ip(...args);
      } catch {
        // already gone (the namespace ends with the test run anyway)
      }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
