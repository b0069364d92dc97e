import { expect, it } from 'vitest';
import { expectedWaitMinutes, minutesIn } from './waitEstimate.ts';

it.each([
  [null, null],
  ['I will be with you shortly.', null],
  ['I am running about 5 minutes late.', 5],
  ['J’ai environ 10 minutes de retard.', 10],
  ['Back in 5 min, then 15 min for the test', 15],
  ['Room 12 please', null],
] as const)('minutes named in %j: %j', (message, minutes) => {
  expect(minutesIn(message)).toBe(minutes);
});

it.each([
  // No message: the queue's estimate (0 = "a few moments").
  [10_000, null, 0],
  [4 * 60_000, null, 4],
  // "5 minutes late" beside "a few moments" would contradict it: at least the practitioner's minutes.
  [10_000, 'I am running about 5 minutes late.', 5],
  // A longer queue estimate stands.
  [12 * 60_000, 'I am running about 5 minutes late.', 12],
  // A message without a length changes nothing.
  [10_000, 'I will be with you shortly.', 0],
] as const)('queue %d ms, message %j: %d min', (ms, message, minutes) => {
  expect(expectedWaitMinutes(ms, message)).toBe(minutes);
});
