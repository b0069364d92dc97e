import { readFileSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { launchChromium, waitForMedia } from './support/browser.ts';
import { Platform, portOpen } from './support/platform.ts';

// The README's first command, as a person uses it: `make start`, then a call between two browser
// tabs using only what it printed, then Ctrl-C (SIGINT to the process group) stops everything.
let platform: Platform | undefined;
afterAll(() => platform?.dispose());

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

it('make start prints working links, carries a call, and stops cleanly on Ctrl-C', async () => {
  // Two SFU nodes (control ports `control` and `control + 1`, RTC ports 41000-42999); the web
  // client built as a first run builds it.
  platform = await Platform.start({ env: { VISITA_SFU_NODES: '2' }, buildWeb: true });
  const { ports, stateDir, out, doctorUrl, patientLink } = platform;
  const login = platform.login;
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
  // No secret on a command line (any local user can read those with ps).
  const secrets = Object.values(platform.secrets());
  const exposed = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return secrets.some((s) => cmd.includes(s)) ? [cmd.replaceAll('\0', ' ').slice(0, 80)] : [];
      } catch {
        return []; // ended meanwhile
      }
    });
  expect(exposed).toEqual([]);

  const { browser, close } = await launchChromium();
  try {
    const doctor = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const patient = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await doctor.goto(doctorUrl);
    await doctor.getByTestId('login-email').fill(login.email);
    await doctor.getByTestId('login-password').fill(login.password);
    await doctor.getByTestId('login-submit').click();
    await doctor.getByTestId('open-consultation').first().click();
    await patient.goto(patientLink);
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

  await platform.stop();
  expect(platform.out).toContain('stopped');
  for (const port of [...Object.values(ports), ports.control + 1, ports.metrics + 1, ports.metrics + 2])
    expect([port, await portOpen(port)]).toEqual([port, false]);
});
