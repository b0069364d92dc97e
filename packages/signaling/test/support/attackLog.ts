import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { expect } from 'vitest';

// The attack suites record each attack they try, and whether it was refused, so `make security`
// (and `make test`) can print what was tried: one JSON line per attack, appended to the file
// named by VISITA_ATTACK_LOG; nothing at all when it is unset. scripts/attackTable.ts reads it.
// Record before asserting, so an attack that got through shows in the table as well as failing.

export interface AttackRecord {
  group: string;
  name: string;
  refused: boolean;
  /** How many attempts this line stands for (a batch of fuzzed cases), 1 by default. */
  count: number;
  /** The test file, relative to the working directory (vitest runs from the repository root). */
  file: string;
}

/** Records one attack (or `count` attempts of one kind) of `group`. */
export function attack(group: string, name: string, refused: boolean, count = 1): void {
  const path = process.env['VISITA_ATTACK_LOG'];
  if (!path) return;
  const testPath = expect.getState().testPath;
  const record: AttackRecord = {
    group,
    name,
    refused,
    count,
    file: testPath ? relative(process.cwd(), testPath) : 'unknown',
  };
  appendFileSync(path, `${JSON.stringify(record)}\n`);
}
