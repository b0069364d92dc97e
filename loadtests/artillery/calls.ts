// Artillery Playwright processor of calls.yml: one real consultation per VU, in two browser
// contexts. Self-contained (Artillery loads it on its own). Env: SURGE_API, SURGE_WEB,
// SURGE_BROWSER_DOCTOR, SURGE_PASSWORD, SURGE_RUN (per-call samples are appended to calls.jsonl).
import { appendFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

interface Events {
  emit(type: 'counter' | 'histogram', name: string, value: number): void;
}
interface Test {
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

const API = process.env['SURGE_API'] ?? 'http://127.0.0.1:4000';
const WEB = process.env['SURGE_WEB'] ?? 'https://127.0.0.1:8443';
const EMAIL = process.env['SURGE_BROWSER_DOCTOR'] ?? '';
const PASSWORD = process.env['SURGE_PASSWORD'] ?? '';
const HOLD_MS = Number(process.env['SURGE_BROWSER_HOLD_MS'] ?? 8_000);
let seq = 0;

const firstFrame = async (page: Page): Promise<number> =>
  (await (
    await page.waitForFunction(
      () => (window as { __visitaFirstFrameAt?: number | null }).__visitaFirstFrameAt ?? null,
      undefined,
      {
        timeout: 30_000,
        polling: 10,
      },
    )
  ).jsonValue()) as number;

async function api(path: string, init: RequestInit = {}, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${API}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const json = (await res.json()) as { ok: boolean; data?: Record<string, unknown> };
  if (!json.ok || !json.data) throw new Error(`${path}: HTTP ${res.status}`);
  return json.data;
}

/** The call's usage record once complete (the rater runs asynchronously). */
async function billedMs(token: string, consultationId: string): Promise<number> {
  const period = new Date().toISOString().slice(0, 7);
  for (let i = 0; i < 100; i++) {
    const usage = (await api(`/api/usage?period=${period}`, {}, token)) as {
      practitioners?: Array<{
        consultations: Array<{ consultationId: string; complete: boolean; billableMs: number }>;
      }>;
    };
    const r = usage.practitioners?.flatMap((p) => p.consultations).find((c) => c.consultationId === consultationId);
    if (r?.complete) return r.billableMs;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`no complete usage record for ${consultationId}`);
}

export async function browserCall(doctor: Page, _context: unknown, events: Events, test: Test): Promise<void> {
  const n = ++seq;
  const browser = doctor.context().browser();
  if (!browser) throw new Error('no browser');
  const patientContext = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'fr-FR' });
  // The client's diagnostics on (the first remote frame's time on `window`), before any page script.
  const diagnostics = () => {
    try {
      localStorage.setItem('visita.diagnostics', '1');
    } catch {
      // about:blank has no storage
    }
  };
  await patientContext.addInitScript(diagnostics);
  await doctor.context().addInitScript(diagnostics);
  const patient = await patientContext.newPage();
  // What the pages said, kept for a call that fails (written next to the run's samples).
  const said: string[] = [];
  for (const [who, page] of [
    ['doctor', doctor],
    ['patient', patient],
  ] as const) {
    page.on('console', (m) => m.type() !== 'debug' && said.push(`${Date.now()} ${who} ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => said.push(`${Date.now()} ${who} pageerror: ${e.message}`));
  }
  try {
    const token = String(
      (await api('/api/login', { method: 'POST', body: JSON.stringify({ email: EMAIL, password: PASSWORD }) }))[
        'token'
      ],
    );
    const c = await api('/api/consultations', { method: 'POST', body: '{}' }, token);
    const consultationId = String(c['consultationId']);
    await test.step('doctor_login', async () => {
      await doctor.goto(WEB);
      await doctor.getByTestId('login-email').fill(EMAIL);
      await doctor.getByTestId('login-password').fill(PASSWORD);
      await doctor.getByTestId('login-submit').click();
      await doctor.getByTestId('new-consultation').waitFor();
      await doctor.goto(`${WEB}/consultations/${consultationId}`);
    });
    await test.step('patient_check_in', async () => {
      await patient.goto(`${WEB}/c/${consultationId}#t=${String(c['patientToken'])}`);
      await patient.getByTestId('patient-name').fill(`Patient ${n}`);
      await patient.getByTestId('enter-waiting-room').click();
      await doctor.getByTestId('patient-waiting').waitFor({ timeout: 30_000 });
      await doctor.locator('[data-testid=admit]:not([disabled])').waitFor({ timeout: 30_000 });
    });
    const admitAt = Date.now();
    await doctor.getByTestId('admit').click();
    const [p, d] = await Promise.all([firstFrame(patient), firstFrame(doctor)]);
    const upMs = Math.max(p, d) - admitAt;
    events.emit('histogram', 'visita.admit_to_first_frame_ms', upMs);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const hangUpAt = Date.now();
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor({ timeout: 15_000 });
    // The bill starts at the later microphone's first packet (after the admission, by the later
    // first frame at the latest) and ends at the hang-up: within that window, ±1 s.
    const billed = await billedMs(token, consultationId);
    const lo = hangUpAt - Math.max(p, d) - 1_000;
    const hi = hangUpAt - admitAt + 1_000;
    const ok = billed >= lo && billed <= hi;
    events.emit('counter', ok ? 'visita.billing_ok' : 'visita.billing_off', 1);
    events.emit('counter', 'visita.calls_ok', 1);
    if (process.env['SURGE_RUN'])
      appendFileSync(
        `${process.env['SURGE_RUN']}/calls.jsonl`,
        `${JSON.stringify({ consultationId, admitAt, firstFrameMs: upMs, patientMs: p - admitAt, doctorMs: d - admitAt, billedMs: billed, windowMs: [lo, hi], billingOk: ok })}\n`,
      );
  } catch (e) {
    if (process.env['SURGE_RUN'])
      appendFileSync(
        `${process.env['SURGE_RUN']}/calls-failed.log`,
        `call ${n} failed: ${(e as Error).message.split('\n')[0]}\n${said.slice(-40).join('\n')}\n\n`,
      );
    throw e;
  } finally {
    await patientContext.close();
  }
}
