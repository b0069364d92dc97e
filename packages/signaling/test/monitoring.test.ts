import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The monitoring shipped in infra/: alert rules checked and unit-tested by Prometheus's own
// promtool (Debian's prometheus package), and every metric the rules and the Grafana dashboard
// query is one that signaling, an SFU node or the autoscaler exports.
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: join(root, 'infra/prometheus'), stdio: 'pipe' }).toString();

/** Metric names the processes export (prom-client `name:` fields), with a histogram's series. */
function exported(): Set<string> {
  const names = new Set<string>();
  const files = [
    'packages/signaling/src/metrics.ts',
    'packages/sfu/src/metrics.ts',
    'packages/signaling/src/autoscale/metrics.ts',
  ];
  for (const file of files)
    for (const m of read(file).matchAll(/name: '(visita_[a-z_]+)'/g)) {
      names.add(m[1]!);
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${suffix}`);
    }
  // The gauges made by SfuMetrics' helper: gauge('visita_sfu_...', ...).
  for (const file of files) for (const m of read(file).matchAll(/gauge\('(visita_[a-z_]+)'/g)) names.add(m[1]!);
  return names;
}
/** Metric names an expression reads (recording rules, `visita:...`, are checked separately). */
const used = (expr: string) => [...expr.matchAll(/\b(visita_[a-z_]+)/g)].map((m) => m[1]!);

describe('infra/prometheus and infra/grafana', () => {
  it('has alert rules promtool accepts, and whose unit tests pass', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS/);
  });

  it('queries only metrics the processes export, and recording rules the rules define', () => {
    const names = exported();
    const rules = read('infra/prometheus/alerts.yml');
    const recorded = new Set([...rules.matchAll(/record: (\S+)/g)].map((m) => m[1]!));
    const exprs = [...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]!);
    const dashboard = JSON.parse(read('infra/grafana/visita-overview.json')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    for (const p of dashboard.panels) for (const t of p.targets) exprs.push(t.expr);
    expect(exprs.length).toBeGreaterThan(15);
    for (const expr of exprs) {
      for (const name of used(expr)) expect(names, `${name} in ${expr}`).toContain(name);
      for (const rec of expr.matchAll(/\b(visita:[a-z_:]+)/g)) expect(recorded).toContain(rec[1]);
    }
  });
});
