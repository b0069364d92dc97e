import type { BrowserContext, Page } from 'playwright-core';
import { PageNetwork, SERVER_IP } from './pageNetwork.ts';
import { E2EStack } from './stack.ts';

/**
 * The platform listening on SERVER_IP and a phone's Chromium in a network namespace of its own
 * (PageNetwork), for a test file's beforeAll. `firewall`, given the web server's port, is the
 * nftables ruleset loaded into the phone's namespace (none: everything goes through).
 */
export class PhoneOnItsOwnNetwork {
  readonly e2e: E2EStack;
  readonly net: PageNetwork;
  readonly #phone: Awaited<ReturnType<PageNetwork['launchChromium']>>;

  private constructor(e2e: E2EStack, net: PageNetwork, phone: Awaited<ReturnType<PageNetwork['launchChromium']>>) {
    this.e2e = e2e;
    this.net = net;
    this.#phone = phone;
  }

  static async start(opts: { firewall?: (webPort: string) => string } = {}): Promise<PhoneOnItsOwnNetwork> {
    const net = PageNetwork.create();
    let e2e: E2EStack | undefined;
    let phone: Awaited<ReturnType<PageNetwork['launchChromium']>> | undefined;
    try {
      e2e = await E2EStack.start({ host: SERVER_IP });
      phone = await net.launchChromium();
      if (opts.firewall) net.firewall(opts.firewall(new URL(e2e.webUrl).port));
      return new PhoneOnItsOwnNetwork(e2e, net, phone);
    } catch (e) {
      await phone?.close().catch(() => undefined);
      await e2e?.stop();
      net.destroy();
      throw e;
    }
  }

  /** A page of the phone's browser (a context of its own, the server's self-signed certificate accepted). */
  async phonePage(locale: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.#phone.browser.newContext({ ignoreHTTPSErrors: true, locale });
    return { context, page: await context.newPage() };
  }

  async stop(): Promise<void> {
    await this.#phone.close().catch(() => undefined);
    await this.e2e.stop();
    this.net.destroy();
  }
}
