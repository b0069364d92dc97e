import { describe, expect, it } from 'vitest';
import { autoplayRefused } from './callDisplay.ts';

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
