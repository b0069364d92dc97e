import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '@visita/signaling/testing';
import { launchChromium, waitForMedia } from './support/browser.ts';

// The README's first command, as a person uses it: `make start`, then a call between two browser
// tabs using only what it printed, then Ctrl-C (SIGINT to the process group) stops everything.
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const stateDir = mkdtempSync(join(tmpdir(), 'visita-start-'));
let proc: ChildProcess | undefined;
afterAll(() => {
  if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
});

/** The first reply of a raw Redis connection to `command`. */
const redisReply = (port: number, command: string) =>
  new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(command));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString());
    });
    s.once('error', reject);
  });

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

it('make start prints working links, carries a call, and stops cleanly on Ctrl-C', async () => {
  const ports = {
    redis: await freePort(),
    signaling: await freePort(),
    control: await freePort(),
    web: await freePort(),
    metrics: await freePort(),
    turn: await freePort(),
  };
  proc = spawn('make', ['--no-print-directory', 'start'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      VISITA_LAN_IP: '127.0.0.1',
      VISITA_STATE_DIR: stateDir,
      VISITA_REDIS_PORT: String(ports.redis),
      VISITA_SIGNALING_PORT: String(ports.signaling),
      VISITA_SFU_CONTROL_PORT: String(ports.control),
      VISITA_WEB_PORT: String(ports.web),
      VISITA_METRICS_PORT: String(ports.metrics),
      VISITA_RTC_MIN_PORT: '41000',
      VISITA_RTC_MAX_PORT: '41999',
      VISITA_TURN_PORT: String(ports.turn),
      VISITA_TURN_MIN_PORT: '49800',
      VISITA_TURN_MAX_PORT: '49899',
      // Two SFU nodes (control ports `control` and `control + 1`, RTC ports 41000-42999).
      VISITA_SFU_NODES: '2',
    },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc!.once('exit', (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Stop:')) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`make start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const doctorUrl = /Doctor:\s+(\S+)/.exec(out)?.[1];
  const login = /login (\S+)\s+\/\s+password (\S+)/.exec(out);
  const patientLink = /Patient link:\s+(\S+)/.exec(out)?.[1];
  expect(doctorUrl).toBe(`https://127.0.0.1:${ports.web}/`);
  expect(patientLink).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${ports.web}/c/[0-9a-f]{32}#t=`));
  expect(out).toMatch(/fingerprint:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  expect(out).toMatch(/SFU nodes:\s+2 /);
  expect(await portOpen(ports.control + 1)).toBe(true);
  // coturn, handed to browsers with their transports.
  expect(out).toContain(`TURN:          turn:127.0.0.1:${ports.turn} (coturn`);
  expect(await portOpen(ports.turn)).toBe(true);
  // Prometheus metrics of signaling and of both nodes, on loopback.
  const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(await scrape(ports.metrics)).toContain('visita_signaling_connected_sockets');
  for (const i of [1, 2]) expect(await scrape(ports.metrics + i)).toContain(`node="sfu-local-${i}"`);
  // Redis answers nothing without credentials, and the state dir (data, secrets, keys) is private.
  expect(await redisReply(ports.redis, 'PING\r\n')).toMatch(/^-NOAUTH/);
  const shared = walk(stateDir).filter((f) => (statSync(f).mode & 0o077) !== 0);
  expect(shared).toEqual([]);

  const { browser, close } = await launchChromium();
  try {
    const doctor = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const patient = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await doctor.goto(doctorUrl!);
    await doctor.getByTestId('login-email').fill(login![1]!);
    await doctor.getByTestId('login-password').fill(login![2]!);
    await doctor.getByTestId('login-submit').click();
    await doctor.getByTestId('open-consultation').first().click();
    await patient.goto(patientLink!);
    await patient.getByTestId('patient-name').fill('Camille Durand');
    await patient.getByTestId('enter-waiting-room').click();
    await doctor.getByTestId('patient-waiting').waitFor();
    await doctor.getByTestId('admit').click();
    await Promise.all([waitForMedia(patient), waitForMedia(doctor)]);
    await doctor.getByTestId('hang-up').click();
    await patient.getByTestId('ended').waitFor();
  } finally {
    await close();
  }
  // Nothing went wrong behind the call: no error in signaling's log (a Redis permission the
  // service's ACL user lacks — Socket.IO's recovery sessions once were — logs an unhandled rejection).
  const errors = readFileSync(join(stateDir, 'logs/signaling.log'), 'utf8')
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));
  expect(errors).toEqual([]);

  process.kill(-proc.pid!, 'SIGINT');
  await exited;
  expect(out).toContain('stopped');
  for (const port of [...Object.values(ports), ports.control + 1, ports.metrics + 1, ports.metrics + 2])
    expect([port, await portOpen(port)]).toEqual([port, false]);
});
