import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addAccount } from '@visita/signaling';
import { DEMO, testAccountStore } from '@visita/signaling/testing';
import { E2EStack } from './support/stack.ts';

// The practitioner's second factor and automatic logoff, in Chromium against the whole stack.
// The idle timeout is the shortest allowed (60 s); the idle test fast-forwards the page's clock.

let e2e: E2EStack;
beforeAll(async () => {
  e2e = await E2EStack.start({ env: { VISITA_IDLE_TIMEOUT_S: '60' } });
});
afterAll(async () => {
  await e2e?.stop();
});

/** The code of the time step `offset` steps from now (the server accepts one step either side, each once). */
const code = (secret: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 30_000 });

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

it('a practitioner enables two-factor authentication, then logs in with password and code (or a recovery code)', async () => {
  const email = 'secure@clinic.test';
  const password = 'a long enough password';
  await addAccount(testAccountStore(e2e.stack.signaling.redis), { email, name: 'Dr Secure', password });
  const { page } = await e2e.page();
  await page.goto(e2e.webUrl);
  await logIn(page, email, password);
  await page.getByTestId('two-factor-status').getByText('Two-factor authentication is off.').waitFor();

  // Enable: a QR code and the key in text; the test reads the key as a person would type it.
  await page.getByTestId('enable-2fa').click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByTestId('totp-qr').getAttribute('src')).resolves.toMatch(/^data:image\/png;base64,/);
  const field = page.getByLabel('Authentication code');
  await expect(field.getAttribute('autocomplete')).resolves.toBe('one-time-code');
  await expect(field.getAttribute('inputmode')).resolves.toBe('numeric');
  await field.fill(code(secret));
  await page.getByTestId('security-confirm').click();
  await page.getByTestId('recovery-codes').locator('li').nth(9).waitFor();
  const recoveryCodes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
  expect(recoveryCodes).toHaveLength(10);
  await page.getByTestId('recovery-done').click();
  await page
    .getByTestId('two-factor-status')
    .getByText('Two-factor authentication is on (10 recovery codes left).')
    .waitFor();
  // The key is not shown again.
  expect(await page.getByTestId('totp-secret').count()).toBe(0);

  // Log out, log in: the password, then the code (a wrong one first).
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, email, password);
  const second = page.getByTestId('second-factor');
  await second.waitFor();
  const codeField = second.getByLabel('Authentication code');
  await expect(codeField.getAttribute('autocomplete')).resolves.toBe('one-time-code');
  const near = new Set([-1, 0, 1, 2].map((o) => code(secret, o)));
  await codeField.fill(['000000', '111111', '222222'].find((c) => !near.has(c))!);
  await page.getByTestId('login-code-submit').click();
  await second.getByRole('alert').getByText('Wrong or expired code.').waitFor();
  await codeField.fill(code(secret, 1)); // the enabling step is spent: the next one
  await page.getByTestId('login-code-submit').click();
  await page.getByTestId('new-consultation').waitFor();

  // Lost phone: a recovery code, once.
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, email, password);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
  await page.getByTestId('login-code-submit').click();
  await page
    .getByTestId('two-factor-status')
    .getByText('Two-factor authentication is on (9 recovery codes left).')
    .waitFor();
});

it('logs out after the idle timeout, with a warning and "Stay signed in" first', async () => {
  const { page } = await e2e.page();
  await page.clock.install();
  await page.goto(e2e.webUrl);
  await logIn(page, DEMO.email, DEMO.password);
  await page.getByTestId('new-consultation').waitFor();
  const refreshToken = () =>
    page.evaluate(
      () =>
        (JSON.parse(sessionStorage.getItem('visita.session') ?? 'null') as { refreshToken: string } | null)
          ?.refreshToken ?? null,
    );
  const atLogin = await refreshToken();
  expect(atLogin).toBeTruthy();

  // 35 s without input: the warning (the last 30 s of a 60 s timeout); staying signed in dismisses it.
  await page.clock.fastForward('00:35');
  const warning = page.getByTestId('idle-warning');
  await warning.getByText(/You will be logged out in \d+ s because of inactivity\./).waitFor();
  await page.getByTestId('stay-signed-in').click();
  await warning.waitFor({ state: 'detached' });
  // Active again: the server session is renewed (its refresh token expires unused after 60 s).
  await expect.poll(refreshToken, { timeout: 5_000 }).not.toBe(atLogin);
  const renewed = await refreshToken();

  // A minute without input: logged out, with the reason; the session is over on the server too.
  await page.clock.fastForward('01:01');
  await page.getByTestId('login-notice').getByText('Logged out after 1 minute of inactivity.').waitFor();
  await page.getByTestId('login-email').waitFor();
  expect(await refreshToken()).toBeNull();
  const res = await fetch(`${e2e.stack.signalingUrl}/api/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: renewed }),
  });
  expect(res.status).toBe(401);
});
