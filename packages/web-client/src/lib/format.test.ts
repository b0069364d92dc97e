import { describe, expect, it } from 'vitest';
import {
  dateTime,
  duration,
  minutes,
  minutesAgo,
  money,
  number,
  pageLocale,
  percent,
  plural,
  withUnit,
} from './format.ts';

const NBSP = '\u00a0';
/** A no-break space, narrow or not (ICU builds differ). */
const NB = '[\u00a0\u202f]';

describe('pageLocale', () => {
  it.each([
    ['en', ['en-US', 'fr-FR'], 'en-US'],
    ['en', ['fr-FR', 'en-AU'], 'en-AU'],
    ['fr', ['fr-CA'], 'fr-CA'],
    ['fr', ['en-US'], 'fr-FR'],
    ['en', ['de-DE'], 'en-GB'],
    ['en', [], 'en-GB'],
  ] as const)('%s with the browser in %j: %s', (lang, browser, expected) => {
    expect(pageLocale(lang, browser)).toBe(expected);
  });
});

describe('formats', () => {
  const at = Date.UTC(2026, 11, 8, 14, 5);
  it('dates in the locale: an en-US practitioner sees en-US dates', () => {
    expect(dateTime('en-US', at)).toMatch(/^12\/8\/26, \d{1,2}:05\s[AP]M$/);
    expect(dateTime('en-GB', at)).toMatch(/^08\/12\/2026, \d\d:05$/);
    expect(dateTime('fr-FR', at)).toMatch(/^08\/12\/2026 \d\d:05$/);
  });
  it('numbers, percentages and money: the sign never alone on a line in French', () => {
    expect(number('fr-FR', 1.25, 1)).toBe('1,3');
    expect(percent('fr-FR', 0.25)).toMatch(new RegExp(`^25${NB}%$`));
    expect(percent('en-GB', 0.003, 1)).toBe('0.3%');
    expect(money('fr-FR', 1250, 'EUR')).toMatch(new RegExp(`^12,50${NB}€$`));
    expect(money('en-GB', 1250, 'EUR')).toBe('€12.50');
    expect(withUnit('en-GB', 1.34, 'Mbit/s', 1)).toBe(`1.3${NBSP}Mbit/s`);
  });
  it('durations in short units, unbreakable', () => {
    expect(duration('en-GB', 42_000)).toBe(`42${NBSP}secs`);
    expect(duration('en-US', 185_000)).toBe(`3${NBSP}min${NBSP}5${NBSP}sec`);
    expect(duration('fr-FR', 3_725_000)).toBe(`1${NBSP}h${NBSP}2${NBSP}min`);
    expect(duration('fr-FR', -5)).toBe(`0${NBSP}s`);
  });
  it('whole minutes, unbreakable', () => {
    expect(minutes('en-GB', 3.9)).toBe(`3${NBSP}mins`);
    expect(minutes('en-US', 1)).toBe(`1${NBSP}min`);
    expect(minutes('fr-FR', 12)).toBe(`12${NBSP}min`);
  });
  it('relative minutes and plural categories', () => {
    expect(minutesAgo('en-GB', 3.7)).toBe('3 minutes ago');
    expect(minutesAgo('fr-FR', 0)).toBe('cette minute-ci');
    expect(plural('en-GB', 1)).toBe('one');
    expect(plural('fr-FR', 0)).toBe('one');
    expect(plural('en-GB', 0)).toBe('other');
  });
});
