import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { LocalProvider, respawnDelayMs } from './LocalProvider.ts';

describe('respawnDelayMs', () => {
  it('is nothing before an exit, then the minimum doubled per exit in a row, capped', () => {
    expect([0, 1, 2, 3, 4, 10, 1_000].map((n) => respawnDelayMs(n, 1_000, 60_000))).toEqual([
      0, 1_000, 2_000, 4_000, 8_000, 60_000, 60_000,
    ]);
  });
});

describe('LocalProvider with a node that dies at once (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'visita-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const crash = join(dir, 'crash.mjs');
  writeFileSync(crash, 'process.exit(3);\n');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const gone = async (p: LocalProvider) => {
    for (let i = 0; i < 200 && p.nodeIds.length > 0; i++) await sleep(10);
    expect(p.nodeIds).toEqual([]);
  };

  it('is not started again at every tick: it waits, longer after each exit in a row', async () => {
    const p = new LocalProvider({
      sfuMain: crash,
      env: {},
      controlPortBase: 0,
      metricsPortBase: 0,
      rtcPortBase: 0,
      rtcPortsPerNode: 1,
      slots: 2,
      idPrefix: 'crash',
      log: createLogger('silent'),
      respawnBackoff: { minMs: 500, maxMs: 1_000 },
    });
    await p.scaleOut(1);
    expect(p.nodeIds).toHaveLength(1);
    await gone(p);
    // The autoscaler's next ticks ask again at once: nothing starts for 500 ms.
    await p.scaleOut(1);
    expect(p.nodeIds).toEqual([]);
    await sleep(550);
    await p.scaleOut(1);
    expect(p.nodeIds).toHaveLength(1);
    await gone(p);
    // Second exit in a row: 1,000 ms now.
    await sleep(550);
    await p.scaleOut(1);
    expect(p.nodeIds).toEqual([]);
    await sleep(500);
    await p.scaleOut(1);
    expect(p.nodeIds).toHaveLength(1);
    await p.close();
  });
});
