import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { measuredCode } from './benchmarksDoc.ts';

it('names the commit measured, says when tracked files differ from it, and when there is no checkout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'visita-measured-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir })
        .toString()
        .trim();
    expect(measuredCode(dir)).toBe('an unknown commit (not a git checkout)');
    git('init', '-q');
    writeFileSync(join(dir, 'a.txt'), '1');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
    const head = git('rev-parse', '--short=7', 'HEAD');
    expect(measuredCode(dir)).toBe(head);
    writeFileSync(join(dir, 'b.txt'), 'untracked: not the code measured');
    expect(measuredCode(dir)).toBe(head);
    writeFileSync(join(dir, 'a.txt'), '2');
    expect(measuredCode(dir)).toBe(`${head} with uncommitted changes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
