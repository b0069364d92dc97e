// User-facing text in French and English. The language follows the browser, and can be switched.
import { en, type Strings } from './i18n/en.ts';
import { fr } from './i18n/fr.ts';

export type Lang = 'en' | 'fr';
export const strings: Record<Lang, Strings> = { en, fr };

export function initialLang(): Lang {
  const saved = localStorage.getItem('visita.lang');
  if (saved === 'en' || saved === 'fr') return saved;
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The user-facing message for an error code (falls back to the generic one). */
export function errorText(t: Strings, code: string | undefined): string {
  const key = `err_${code ?? ''}` as keyof Strings;
  const v = t[key];
  return typeof v === 'string' ? v : t.error;
}

export type { Strings };
