import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO, TestStack } from '@visita/signaling/testing';
import { startWebServer } from '../../scripts/webServer.ts';
import { launchChromium, selfSignedCert } from './browser.ts';

/** The whole platform for browser tests: TestStack + the built web client over HTTPS + Chromium. */
export class E2EStack {
  readonly stack: TestStack;
  readonly webUrl: string;
  readonly browser: Browser;
  readonly #closeWeb: () => Promise<void>;
  readonly #closeBrowser: () => Promise<void>;
  readonly #tlsDir: string;

  private constructor(
    stack: TestStack,
    webUrl: string,
    closeWeb: () => Promise<void>,
    browser: Browser,
    closeBrowser: () => Promise<void>,
    tlsDir: string,
  ) {
    this.stack = stack;
    this.webUrl = webUrl;
    this.#closeWeb = closeWeb;
    this.browser = browser;
    this.#closeBrowser = closeBrowser;
    this.#tlsDir = tlsDir;
  }

  /**
   * `env`: extra signaling configuration (e.g. a short VISITA_IDLE_TIMEOUT_S). `host`: the address
   * the web server and the SFU's transports listen on (127.0.0.1 unless pages come from another
   * network namespace); signaling stays on 127.0.0.1 behind the web server's proxy.
   */
  static async start(opts: { env?: Record<string, string>; host?: string } = {}): Promise<E2EStack> {
    const host = opts.host ?? '127.0.0.1';
    const stack = await TestStack.start({ ...(opts.env ? { env: opts.env } : {}), mediaIp: host });
    const tls = selfSignedCert();
    let web: Awaited<ReturnType<typeof startWebServer>> | undefined;
    try {
      web = await startWebServer({ host, port: 0, signalingUrl: stack.signalingUrl, tls });
      const { browser, close } = await launchChromium();
      return new E2EStack(stack, web.url, web.close, browser, close, tls.dir);
    } catch (e) {
      await web?.close();
      await stack.stop();
      rmSync(tls.dir, { recursive: true, force: true });
      throw e;
    }
  }

  async page(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    return { context, page };
  }

  /** Doctor logs in through the UI and creates a consultation; returns the patient link (on this server). */
  async doctorCreatesConsultation(doctor: Page): Promise<{ consultationId: string; patientLink: string }> {
    // A link changing elsewhere in the namespace (a test's own network) aborts a navigation once.
    await doctor.goto(this.webUrl).catch((e: Error) => {
      if (!e.message.includes('ERR_NETWORK_CHANGED')) throw e;
      return doctor.goto(this.webUrl);
    });
    await doctor.getByTestId('login-email').fill(DEMO.email);
    await doctor.getByTestId('login-password').fill(DEMO.password);
    await doctor.getByTestId('login-submit').click();
    await doctor.getByTestId('new-consultation').click();
    const link = await doctor.getByTestId('patient-link').first().inputValue();
    const url = new URL(link);
    const consultationId = url.pathname.split('/')[2]!;
    return { consultationId, patientLink: `${this.webUrl}${url.pathname}${url.hash}` };
  }

  /**
   * The patient (as `name`) opens the link and checks in; the doctor opens them from the live
   * waiting room and admits them. Resolves when the admission is clicked (media comes after).
   */
  async admitPatient(doctor: Page, patient: Page, patientLink: string, name: string): Promise<void> {
    await patient.goto(patientLink);
    await patient.getByTestId('patient-name').fill(name);
    await patient.getByTestId('enter-waiting-room').click();
    await doctor.getByTestId('queue-entry').filter({ hasText: name }).getByRole('button').click();
    await doctor.getByTestId('admit').click();
  }

  async stop(): Promise<void> {
    await this.#closeBrowser().catch(() => undefined);
    await this.#closeWeb().catch(() => undefined);
    await this.stack.stop();
    rmSync(this.#tlsDir, { recursive: true, force: true });
  }
}
