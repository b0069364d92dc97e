import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

// The surge smoke of `make test`: `make surge`'s own script in its short profile, with the real
// tools — the whole platform (scripts/start.sh) with the autoscaler, Prometheus, practitioner
// bots, and Artillery 2 checking patients in along a small spike. It must meet every threshold:
// 0 failed check-ins, ack p95 ≤ 200 ms, 0 dropped calls, a scale-out within 30 s and a scale-in
// through a drain.
const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'visita-surge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('rehearses a short surge with the real tools and meets every threshold', async () => {
  const out: string[] = [];
  const code = await new Promise<number | null>((done) => {
    const p = spawn('bash', [join(ROOT, 'scripts/surge.sh')], {
      cwd: ROOT,
      env: { ...process.env, SURGE_PROFILE: 'smoke', SURGE_DIR: dir, VISITA_WEB_BUILT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    p.on('exit', done);
  });
  const log = out.join('');
  console.log(log.slice(log.indexOf('surge (smoke) verdict')));
  expect(code, log).toBe(0);
  expect(log).toContain('surge (smoke) verdict: PASS');
  // The real tools ran: Artillery's JSON report with every check-in, and the plots from Prometheus.
  const artillery = JSON.parse(readFileSync(join(dir, 'patients.json'), 'utf8')) as {
    aggregate: { counters: Record<string, number> };
  };
  expect(artillery.aggregate.counters['visita.checkins_ok']).toBeGreaterThanOrEqual(40);
  expect(existsSync(join(dir, 'report.html'))).toBe(true);
  expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/"label":"sfu-auto-2-\d+"/);
}, 300_000);
