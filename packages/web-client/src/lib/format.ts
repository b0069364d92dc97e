// Dates, numbers, money and durations in the page's locale, all through Intl: the browser's own
// locale when it speaks the chosen language (an en-US practitioner sees en-US dates), else the
// language's default. Pure: the locale is passed in.

/** The language's default locale, when the browser's does not match the chosen language. */
const DEFAULT_LOCALE: Record<string, string> = { en: 'en-GB', fr: 'fr-FR' };

/** The first of the browser's locales in `lang`, else the language's default. */
export function pageLocale(lang: string, browserLocales: readonly string[]): string {
  for (const l of browserLocales) {
    const supported = Intl.DateTimeFormat.supportedLocalesOf([l])[0];
    if (supported && new Intl.Locale(supported).language === lang) return supported;
  }
  return DEFAULT_LOCALE[lang] ?? lang;
}

/** A day and time: "08/12/2026, 14:05" (en-GB), "12/8/2026, 2:05 PM" (en-US). */
export const dateTime = (locale: string, at: number): string =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(at);

/** A time of day with seconds. */
export const timeOfDay = (locale: string, at: number): string =>
  new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(at);

export const number = (locale: string, n: number, digits = 0): string =>
  new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);

/** A ratio (0.25) as a percentage, its sign bound to the figure ("25 %" in French, "25%" in English). */
export const percent = (locale: string, ratio: number, digits = 0): string =>
  new Intl.NumberFormat(locale, {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(ratio);

export const money = (locale: string, cents: number, currency: string): string =>
  new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);

/** A figure and its unit ("120 ms", "1.3 Mbit/s"), kept on one line by a no-break space. */
export const withUnit = (locale: string, n: number, unit: string, digits = 0): string =>
  `${number(locale, n, digits)}\u00a0${unit}`;

const unit = (locale: string, n: number, u: 'hour' | 'minute' | 'second') =>
  new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n);

/**
 * A length of time in the locale's short units: "42 secs", "3 mins 5 secs" (en-GB), "1 h 2 min" (fr).
 * Units joined by no-break spaces: a duration never breaks across lines.
 */
export function duration(locale: string, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts =
    h > 0
      ? [unit(locale, h, 'hour'), unit(locale, m, 'minute')]
      : m > 0
        ? [unit(locale, m, 'minute'), unit(locale, sec, 'second')]
        : [unit(locale, sec, 'second')];
  return parts.join(' ').replace(/\s/g, '\u00a0');
}

/** Whole minutes in the locale's short unit, unbreakable: "3 mins" (en-GB), "3 min" (en-US, fr). */
export const minutes = (locale: string, n: number): string =>
  unit(locale, Math.max(0, Math.floor(n)), 'minute').replace(/\s/g, '\u00a0');

/** "3 minutes ago", "il y a 3 minutes" (whole minutes; "now" under one). */
export const minutesAgo = (locale: string, minutes: number): string =>
  new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-Math.max(0, Math.floor(minutes)), 'minute');

/** The plural category of `n` in the locale ("one", "other"…), for texts that count. */
export const plural = (locale: string, n: number): Intl.LDMLPluralRule => new Intl.PluralRules(locale).select(n);
