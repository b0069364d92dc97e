import { describe, expect, it } from 'vitest';
import { autoplayRefused, initials } from './callDisplay.ts';

describe('autoplayRefused', () => {
  it('reads only NotAllowedError as the browser refusing sound', () => {
    expect(autoplayRefused(new DOMException('play() needs a gesture', 'NotAllowedError'))).toBe(true);
    // A stream replaced while play() waited: not a refusal, the remote video keeps its sound.
    expect(autoplayRefused(new DOMException('The play() request was interrupted', 'AbortError'))).toBe(false);
    expect(autoplayRefused(new DOMException('no supported source', 'NotSupportedError'))).toBe(false);
    expect(autoplayRefused(new Error('other'))).toBe(false);
    expect(autoplayRefused(undefined)).toBe(false);
  });
});

describe('initials', () => {
  it('takes the first and last names, not the title', () => {
    expect(initials('Dr Anna Martin')).toBe('AM');
    expect(initials('Dr. Test')).toBe('T');
    expect(initials('  chloé   bernard ')).toBe('CB');
    expect(initials('Élodie')).toBe('É');
    expect(initials('')).toBe('•');
    expect(initials(null)).toBe('•');
  });
});
