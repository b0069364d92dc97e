import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure, fast), `integration` (real mediasoup worker, real redis-server,
// real Socket.IO servers), `e2e` (real headless Chromium against the whole stack, and the surge
// smoke: the whole platform under Artillery). scripts/test.sh
// runs them inside a loopback-only network namespace.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts'],
          setupFiles: ['scripts/vitest.requireEnv.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['packages/web-client/e2e/**/*.test.ts', 'loadtests/**/*.test.ts'],
          setupFiles: ['scripts/vitest.requireEnv.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
