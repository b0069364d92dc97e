import { afterAll, beforeAll, expect, it } from 'vitest';
import { SfuProcess } from './support/sfuProcess.ts';
import { TestStack } from './support/stack.ts';

// Placement across SFU nodes (a real node in-process and one as its own process, their signed
// heartbeats in Redis): calls admitted in a burst, faster than the nodes' heartbeats, are spread.
let stack: TestStack;
let other: SfuProcess;
beforeAll(async () => {
  stack = await TestStack.start();
  other = await SfuProcess.start(stack.redis, 'sfu-other', [54000, 54999]);
});
afterAll(async () => {
  await other?.kill('SIGKILL');
  await stack?.stop();
});

it('spreads a burst of placements over the nodes, within one heartbeat', async () => {
  const chosen: string[] = [];
  for (let i = 0; i < 6; i++) chosen.push(await stack.signaling.sfu.place());
  const count = (id: string) => chosen.filter((n) => n === id).length;
  expect([count('sfu-test'), count('sfu-other')]).toEqual([3, 3]);
});

it('places nothing on a node announced draining, and fails plainly when none is left', async () => {
  await stack.sfu.setDraining(true);
  try {
    for (let i = 0; i < 3; i++) expect(await stack.signaling.sfu.place()).toBe('sfu-other');
    await other.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000)); // its control connection is seen closed
    await expect(stack.signaling.sfu.place()).rejects.toMatchObject({ code: 'NO_MEDIA_CAPACITY' });
  } finally {
    await stack.sfu.setDraining(false);
  }
});
