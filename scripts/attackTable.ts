// The table of attacks tried and refused, from the JSON lines the attack suites append to
// VISITA_ATTACK_LOG (packages/signaling/test/support/attackLog.ts) and vitest's JSON report.
//   node scripts/attackTable.ts --files                  the attack suites that exist, one a line
//   node scripts/attackTable.ts LOG [REPORT.json]        prints the table; exits 1 if an attack was
//                                                        not refused or an attack suite's test failed
// An attack suite that records nothing (yet) counts each of its tests as one attack, refused if it passed.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The attack suites, in the order of the table. Files not written yet are left out. */
export const ATTACK_SUITES = [
  'packages/signaling/test/security.test.ts',
  'packages/signaling/test/twoFactor.test.ts',
  'packages/signaling/test/accountTrust.test.ts',
  'packages/signaling/test/hostile.test.ts',
  'packages/web-client/test/webServer.test.ts',
  'packages/web-client/test/proxyStarvation.test.ts',
  'packages/signaling/test/sfuTrust.test.ts',
  'packages/signaling/test/sfuLimits.test.ts',
  'packages/sfu/test/controlServer.test.ts',
  'packages/sfu/test/roomLimits.test.ts',
  'packages/signaling/test/turnRelay.test.ts',
  'packages/signaling/test/fuzz.test.ts',
  'packages/signaling/test/apiFuzz.test.ts',
];

interface AttackRecord {
  group: string;
  name: string;
  refused: boolean;
  count?: number;
  file: string;
}
interface VitestReport {
  testResults: Array<{ name: string; assertionResults: Array<{ status: string; fullName: string }> }>;
}
interface Row {
  group: string;
  tried: number;
  refused: number;
  order: number;
  notRefused: string[];
}

function table(records: AttackRecord[], report: VitestReport | null): { lines: string[]; failed: boolean } {
  const rows = new Map<string, Row>();
  const order = (file: string) => {
    const i = ATTACK_SUITES.indexOf(file);
    return i < 0 ? ATTACK_SUITES.length : i;
  };
  const row = (group: string, file: string): Row => {
    const r = rows.get(group) ?? { group, tried: 0, refused: 0, order: order(file) * 1000 + rows.size, notRefused: [] };
    rows.set(group, r);
    return r;
  };
  for (const a of records) {
    const n = a.count ?? 1;
    const r = row(a.group, a.file);
    r.tried += n;
    if (a.refused) r.refused += n;
    else r.notRefused.push(a.name);
  }
  const logged = new Set(records.map((a) => a.file));
  const failedTests: string[] = [];
  for (const file of report?.testResults ?? []) {
    const rel = relative(ROOT, file.name);
    if (!ATTACK_SUITES.includes(rel)) continue;
    const ran = file.assertionResults.filter((t) => t.status === 'passed' || t.status === 'failed');
    for (const t of ran) if (t.status === 'failed') failedTests.push(`${rel} > ${t.fullName}`);
    if (logged.has(rel) || ran.length === 0) continue;
    const r = row(`${basename(rel, '.test.ts')} (each test)`, rel);
    r.tried += ran.length;
    r.refused += ran.filter((t) => t.status === 'passed').length;
    r.notRefused.push(...ran.filter((t) => t.status === 'failed').map((t) => t.fullName));
  }
  const sorted = [...rows.values()].sort((a, b) => a.order - b.order);
  const total = { group: 'total', tried: 0, refused: 0 };
  for (const r of sorted) {
    total.tried += r.tried;
    total.refused += r.refused;
  }
  const cells = [
    ['group', 'attacks tried', 'refused', 'not refused'],
    ...sorted.map((r) => [r.group, String(r.tried), String(r.refused), String(r.tried - r.refused)]),
    ['total', String(total.tried), String(total.refused), String(total.tried - total.refused)],
  ];
  const width = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(width[c]!) : cell.padStart(width[c]!))).join(' | ');
  const rule = width.map((w) => '-'.repeat(w)).join('-|-');
  const lines = [line(cells[0]!), rule, ...cells.slice(1, -1).map(line), rule, line(cells.at(-1)!)];
  for (const r of sorted) for (const name of r.notRefused) lines.push(`NOT REFUSED: ${r.group}: ${name}`);
  for (const t of failedTests) lines.push(`FAILED: ${t}`);
  return { lines, failed: total.tried !== total.refused || failedTests.length > 0 };
}

const args = process.argv.slice(2);
if (args[0] === '--files') {
  for (const f of ATTACK_SUITES) if (existsSync(join(ROOT, f))) console.log(f);
} else if (args[0]) {
  const log = existsSync(args[0]) ? readFileSync(args[0], 'utf8') : '';
  const records = log
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AttackRecord);
  const report = args[1] && existsSync(args[1]) ? (JSON.parse(readFileSync(args[1], 'utf8')) as VitestReport) : null;
  const { lines, failed } = table(records, report);
  console.log(lines.join('\n'));
  process.exitCode = failed ? 1 : 0;
} else {
  console.error('usage: node scripts/attackTable.ts --files | LOG [VITEST_REPORT.json]');
  process.exitCode = 2;
}
