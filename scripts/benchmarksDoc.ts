import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md');
const HEADER =
  '# Benchmarks\n\nFigures printed and written by the benchmarks themselves; tests never assert timings.\n';

export const machine = (): string =>
  `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/**
 * The code measured: the checkout's commit, and "with uncommitted changes" when tracked files differ
 * from it (every figure in docs/benchmarks.md names the code it measured).
 */
export function measuredCode(cwd = process.cwd()): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  try {
    const head = git('rev-parse', '--short=7', 'HEAD').trim();
    return git('status', '--porcelain', '--untracked-files=no').trim() ? `${head} with uncommitted changes` : head;
  } catch {
    return 'an unknown commit (not a git checkout)';
  }
}

/** Replaces (or adds) the `## title` section of docs/benchmarks.md, leaving the others as they are. */
export function writeSection(title: string, body: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const sections = current.split(/\n(?=## )/);
  const head = sections[0]!.startsWith('# Benchmarks') ? sections.shift()! : HEADER.trimEnd();
  const next = `## ${title}\n\n${body.trim()}\n`;
  const i = sections.findIndex((s) => s.startsWith(`## ${title}\n`));
  if (i >= 0) sections[i] = next;
  else sections.push(next);
  writeFileSync(file, `${[head.trimEnd(), ...sections.map((s) => s.trimEnd())].join('\n\n')}\n`);
}
