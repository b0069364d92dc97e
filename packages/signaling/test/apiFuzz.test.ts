import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attack } from './support/attackLog.ts';
import { TestStack } from './support/stack.ts';

// Schema-driven fuzzing of every HTTP route: schemathesis generates requests from docs/openapi.yaml
// (valid and invalid bodies, parameters and paths, without and with the practitioner's token, chains
// along the spec's links so it aims at real consultation ids) and checks each answer: never a server
// error, status, content type, headers and body as documented, invalid input refused, valid input
// accepted, no route that ignores its authentication. All checks but `unsupported_method`: express
// answers 404 (typed) to a method a path does not have, where that check wants 405.

const SPEC = resolve(import.meta.dirname, '../../../docs/openapi.yaml');
/** Cases per operation and phase: small in `make test`, larger in `make security`. */
const EXAMPLES = Number(process.env['VISITA_API_FUZZ_EXAMPLES'] ?? 25);
const CHECKS = ['--checks', 'all', '--exclude-checks', 'unsupported_method'];

/** The schemathesis CLI: VISITA_SCHEMATHESIS (set by `make test` and `make security`), else one in the cache. */
function findSchemathesis(): string | null {
  const given = process.env['VISITA_SCHEMATHESIS'];
  if (given) {
    if (!existsSync(given))
      throw new Error(`VISITA_SCHEMATHESIS=${given} does not exist (scripts/ensure-schemathesis.sh installs it)`);
    return given;
  }
  const cache = process.env['VISITA_CACHE'] ?? join(homedir(), '.cache/visita');
  const dirs = existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('schemathesis-'))
        .sort()
        .reverse()
    : [];
  return dirs.map((d) => join(cache, d, 'bin/schemathesis')).find((p) => existsSync(p)) ?? null;
}
const schemathesis = findSchemathesis();
if (!schemathesis)
  console.warn(
    'apiFuzz.test.ts skipped: schemathesis is not installed (`make test` installs it; or: bash scripts/ensure-schemathesis.sh)',
  );

function run(bin: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(bin, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

let stack: TestStack;
beforeAll(async () => {
  if (!schemathesis) return;
  // Generous login limits: the fuzzer should explore the routes' logic, not the limiter (hostile.test.ts tests that).
  stack = await TestStack.start({
    env: {
      VISITA_LOGIN_ATTEMPTS: '1000',
      VISITA_LOGIN_ADDRESS_ATTEMPTS: '100000',
      VISITA_LOGIN_ACCOUNT_ATTEMPTS: '100000',
      // Nor the consultation and link limits (hostile.test.ts tests them too).
      VISITA_CONSULTATION_RATE: '100000',
      VISITA_OPEN_CONSULTATIONS: '1000000',
      VISITA_LINK_RATE: '100000',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

it.skipIf(!schemathesis)(
  `answers every generated request as docs/openapi.yaml says, never with a server error (${EXAMPLES} examples per operation)`,
  async () => {
    const token = await stack.login();
    // Its own working directory: schemathesis and hypothesis keep their caches in the current one.
    const cwd = mkdtempSync(join(tmpdir(), 'visita-apifuzz-'));
    const seed = process.env['VISITA_API_FUZZ_SEED'];
    try {
      const args = ['run', SPEC, '--url', stack.signalingUrl, '-H', `Authorization: Bearer ${token}`, ...CHECKS];
      args.push(
        '--max-examples',
        String(EXAMPLES),
        '--workers',
        '1',
        '--request-timeout',
        '10',
        '--generation-database',
        'none',
        '--no-color',
      );
      if (seed) args.push('--seed', seed);
      const { code, output } = await run(schemathesis!, args, cwd);
      const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
      const failures = Number(/found (\d+) unique failures?/.exec(output)?.[1] ?? (code === 0 ? 0 : 1));
      const group = 'HTTP API fuzzing (schemathesis)';
      attack(group, 'requests answered as documented', true, Math.max(0, generated - failures));
      if (failures > 0) attack(group, 'unique failures (see the test output)', false, failures);
      const report = output.includes('FAILURES')
        ? output.slice(output.lastIndexOf('\n', output.indexOf('FAILURES')) + 1)
        : output;
      expect(code, report).toBe(0);
      // Every operation of the spec was exercised.
      const selected = /Selected: (\d+)\/(\d+)/.exec(output);
      expect([selected?.[1], /Tested: (\d+)/.exec(output)?.[1]], output).toEqual([selected?.[2], selected?.[2]]);
      expect(generated).toBeGreaterThan(0);
      // Still up, and the fuzzer's requests did not log the practitioner out.
      expect(
        (await fetch(`${stack.signalingUrl}/api/consultations`, { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(200);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  },
  120_000 + EXAMPLES * 1_000,
);
