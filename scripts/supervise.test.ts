import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

// scripts/supervise.ts with real processes: a service that is killed comes back, a stop stops it,
// Ctrl-C alone does not, and a supervisor that dies takes its service with it.
const dir = mkdtempSync(join(tmpdir(), 'visita-supervise-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function supervise(name: string, service: string): { proc: ChildProcess; out: () => string; pidfile: string } {
  const pidfile = join(dir, `${name}.pid`);
  const proc = spawn(
    process.execPath,
    [
      join(import.meta.dirname, 'supervise.ts'),
      '--name',
      name,
      '--log',
      join(dir, `${name}.log`),
      '--pidfile',
      pidfile,
      '--stop-timeout-s',
      '2',
      '--',
      'sh',
      '-c',
      service,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  started.push(proc);
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out, pidfile };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function until<T>(what: string, f: () => T | undefined, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const pidOf = (pidfile: string) => {
  try {
    return Number(readFileSync(pidfile, 'utf8')) || undefined;
  } catch {
    return undefined;
  }
};

it('restarts a killed service after a second and says so; SIGINT alone changes nothing; SIGTERM stops both', async () => {
  const s = supervise('svc', 'trap "exit 0" TERM; while :; do sleep 0.1; done');
  const first = await until('the first pid', () => pidOf(s.pidfile));
  process.kill(first, 'SIGKILL');
  const killedAt = Date.now();
  const second = await until('a new pid', () => {
    const p = pidOf(s.pidfile);
    return p && p !== first ? p : undefined;
  });
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(900);
  expect(s.out()).toMatch(/svc was killed by SIGKILL after [\d.]+ s: restarting it in 1 s \(restart 1;/);
  await until('the restart message', () => s.out().includes(`svc restarted (pid ${second})`));
  expect(readFileSync(join(dir, 'svc.log'), 'utf8')).toContain('[supervisor ');

  s.proc.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  expect(alive(second)).toBe(true);
  expect(s.proc.exitCode).toBeNull();

  const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
  s.proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(alive(second)).toBe(false);
  expect(pidOf(s.pidfile)).toBeUndefined();
});

it('doubles the delay when the service keeps exiting at once', async () => {
  const s = supervise('crashy', 'exit 3');
  await until('two restarts', () => s.out().includes('restart 2;'), 6_000);
  expect(s.out()).toMatch(/crashy exited with code 3 after [\d.]+ s: restarting it in 1 s \(restart 1;/);
  expect(s.out()).toMatch(/crashy exited with code 3 after [\d.]+ s: restarting it in 2 s \(restart 2;/);
  s.proc.kill('SIGTERM');
});

it('a service that ignores its stop signal is killed after the stop timeout', async () => {
  const s = supervise('stubborn', 'trap "" TERM; while :; do sleep 0.1; done');
  const pid = await until('its pid', () => pidOf(s.pidfile));
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
  expect(s.out()).toContain('stubborn did not stop within 2 s: killed');
  expect(alive(pid)).toBe(false);
});

it('a supervisor killed with SIGKILL takes its service with it (no orphan keeps a port)', async () => {
  const s = supervise('orphan', 'trap "exit 0" TERM; while :; do sleep 0.1; done');
  const pid = await until('its pid', () => pidOf(s.pidfile));
  s.proc.kill('SIGKILL');
  await until('the service gone', () => !alive(pid));
});
