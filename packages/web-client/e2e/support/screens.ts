// Every screen, checked the same way: a screenshot kept as a test artifact, axe-core's violations
// counted by impact, the tab's title and the page's language recorded.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Where the screenshots and the summary go (test-results/ is ignored by git; CI keeps it). */
export const SCREENS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../test-results/screens');

export interface Violation {
  id: string;
  impact: string | null;
  nodes: number;
  targets: string[];
}

export interface ScreenRecord {
  screen: string;
  device: string;
  title: string;
  lang: string;
  counts: Record<'critical' | 'serious' | 'moderate' | 'minor', number>;
  violations: Violation[];
  file: string;
}

export class ScreenLog {
  readonly records: ScreenRecord[] = [];

  constructor() {
    mkdirSync(SCREENS_DIR, { recursive: true });
  }

  /** Screenshot, axe, title and language of what `page` shows now, as `device`/`screen`. */
  async check(page: Page, device: string, screen: string): Promise<ScreenRecord> {
    // Let transitions and fonts settle (a screenshot mid-animation says nothing).
    await page.waitForTimeout(300);
    const file = `${device}-${screen}.png`;
    await page.screenshot({ path: join(SCREENS_DIR, file) });
    // Evaluated through the debugging protocol: the page's CSP (no inline scripts) is kept.
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResult> } }).axe;
      type AxeResult = {
        violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>;
      };
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
      }));
    });
    const counts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
    for (const v of violations) if (v.impact && v.impact in counts) counts[v.impact as keyof typeof counts] += v.nodes;
    const record: ScreenRecord = {
      screen,
      device,
      title: await page.title(),
      lang: await page.evaluate(() => document.documentElement.lang),
      counts,
      violations,
      file,
    };
    this.records.push(record);
    return record;
  }

  /** The summary beside the screenshots: a Markdown table (for the notes) and the JSON. */
  write(): string {
    const lines = [
      '| device | screen | title | lang | critical | serious | moderate | minor | file |',
      '|---|---|---|---|---|---|---|---|---|',
      ...this.records.map(
        (r) =>
          `| ${r.device} | ${r.screen} | ${r.title} | ${r.lang} | ${r.counts.critical} | ${r.counts.serious} | ${r.counts.moderate} | ${r.counts.minor} | ${r.file} |`,
      ),
    ];
    const table = lines.join('\n');
    writeFileSync(join(SCREENS_DIR, 'summary.md'), `${table}\n`);
    writeFileSync(join(SCREENS_DIR, 'summary.json'), `${JSON.stringify(this.records, null, 2)}\n`);
    return table;
  }
}
