import { describe, expect, it } from 'vitest';
import { platformOf, problemOf } from './permissionHelp.ts';

describe('permission help', () => {
  it('tells the platforms apart by their user agents', () => {
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    const pixel =
      'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
    expect(platformOf(iphone)).toBe('ios');
    expect(platformOf(pixel)).toBe('android');
    expect(platformOf(mac)).toBe('desktop');
    expect(platformOf(mac, 5)).toBe('ios'); // an iPad asking for the desktop site
    expect(platformOf('Mozilla/5.0 (X11; Linux x86_64) Chrome/124')).toBe('desktop');
  });

  it('names the problem from the browser error', () => {
    expect(problemOf('NotAllowedError')).toBe('denied');
    expect(problemOf('NotFoundError')).toBe('missing');
    expect(problemOf('NotReadableError')).toBe('busy');
    expect(problemOf('TypeError')).toBe('other');
  });
});
