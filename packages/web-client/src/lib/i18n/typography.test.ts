import { expect, it } from 'vitest';
import { en } from './en.ts';
import { fr } from './fr.ts';

// French typography: a no-break space (narrow U+202F, or U+00A0) before ":", ";", "!", "?" and
// inside « », so that a sign never starts a line. Every value of the French strings is scanned:
// texts, lists, and what the functions return for sample arguments.
const NB = '\u202f\u00a0';
const faults = (text: string): string[] => {
  const found: string[] = [];
  // A sign after a letter, a closing bracket or a breakable space (a clock's "10:30" is not text).
  for (const m of text.matchAll(/(^|[^\d])([:;!?])/g))
    if (
      !NB.includes(m[1]!.slice(-1)) &&
      !/^https?$/.test(
        text
          .slice(0, m.index + 1)
          .split(/\s/)
          .pop()!,
      )
    )
      found.push(`"${m[2]}" in ${JSON.stringify(text)}`);
  for (const m of text.matchAll(/«(.)/g)) if (!NB.includes(m[1]!)) found.push(`after « in ${JSON.stringify(text)}`);
  for (const m of text.matchAll(/(.)»/g)) if (!NB.includes(m[1]!)) found.push(`before » in ${JSON.stringify(text)}`);
  return found;
};

const samples = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(samples);
  if (typeof value === 'function') return [0, 1, 2].flatMap((n) => samples(value(n, n, n)));
  if (value && typeof value === 'object') return Object.values(value).flatMap(samples);
  return [];
};

it('every French text has a no-break space before : ; ! ? and inside « »', () => {
  const found = Object.entries(fr).flatMap(([key, value]) =>
    samples(value).flatMap((s) => faults(s).map((f) => `${key}: ${f}`)),
  );
  expect(found).toEqual([]);
});

it('the check finds what it is for', () => {
  expect(faults('Total du mois :')).toHaveLength(1);
  expect(faults('Clé:')).toHaveLength(1);
  expect(faults('« Autoriser »')).toHaveLength(2);
  expect(faults('Total du mois\u202f: 10:30, «\u00a0Autoriser\u00a0» ?')).toHaveLength(1);
});

it('French has the keys English has, and translates the words ops read ("Workers")', () => {
  expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  expect(fr.opsWorkers).not.toBe(en.opsWorkers);
});
