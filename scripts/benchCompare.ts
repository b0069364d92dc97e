// The two sides of `make bench-compare` (scripts/bench-compare.sh): the call lines bench-join
// printed for BASE and for the working tree, pooled over the rounds; prints p50/p95 of each side
// and their ratio as a markdown table, ready for docs/benchmarks.md.
//   node scripts/benchCompare.ts BASE.calls BASE_LABEL HEAD.calls HEAD_LABEL
import { readFileSync } from 'node:fs';

interface Calls {
  patient: number[];
  doctor: number[];
  cpu: number[];
}

/** bench-join's line: `call  3: first frame patient 318 ms, doctor 293 ms, SFU CPU 105 ms`. */
export function parseCalls(text: string): Calls {
  const calls: Calls = { patient: [], doctor: [], cpu: [] };
  for (const m of text.matchAll(/first frame patient (\d+) ms, doctor (\d+) ms, SFU CPU (\d+) ms/g)) {
    calls.patient.push(Number(m[1]));
    calls.doctor.push(Number(m[2]));
    calls.cpu.push(Number(m[3]));
  }
  return calls;
}

/** The nearest-rank percentile (as bench-join computes it). */
export function pct(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function compareTable(base: Calls, baseLabel: string, head: Calls, headLabel: string): string {
  const row = (label: string, c: Calls) =>
    `| ${label} | ${c.patient.length} | ${pct(c.patient, 50)} / ${pct(c.doctor, 50)} ms | ${pct(c.patient, 95)} / ${pct(c.doctor, 95)} ms | ${pct(c.cpu, 50)} ms |`;
  const ratio = (p: number) =>
    `${(pct(head.patient, p) / pct(base.patient, p)).toFixed(2)} / ${(pct(head.doctor, p) / pct(base.doctor, p)).toFixed(2)}`;
  return [
    '| code | calls | admit → first frame p50 (patient / doctor) | p95 | SFU worker CPU p50 |',
    '|---|---|---|---|---|',
    row(`base (${baseLabel})`, base),
    row(`this (${headLabel})`, head),
    `| ratio this / base | | ${ratio(50)} | ${ratio(95)} | |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseFile, baseLabel, headFile, headLabel] = process.argv.slice(2);
  if (!baseFile || !baseLabel || !headFile || !headLabel) {
    console.error('usage: node scripts/benchCompare.ts BASE.calls BASE_LABEL HEAD.calls HEAD_LABEL');
    process.exit(2);
  }
  const base = parseCalls(readFileSync(baseFile, 'utf8'));
  const head = parseCalls(readFileSync(headFile, 'utf8'));
  if (base.patient.length === 0 || head.patient.length === 0) {
    console.error('no call measured on one side (see .state/bench-compare/*.log)');
    process.exit(1);
  }
  console.log(`\n${compareTable(base, baseLabel, head, headLabel)}\n`);
}
