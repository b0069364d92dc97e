import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf } from './router.ts';

describe('parseRoute', () => {
  it('names each screen by its path', () => {
    expect(parseRoute('/c/abc_DEF-1')).toEqual({ name: 'patient', consultationId: 'abc_DEF-1' });
    expect(parseRoute('/c/abc/')).toEqual({ name: 'patient', consultationId: 'abc' });
    expect(parseRoute('/consultations/k9')).toEqual({ name: 'consultation', consultationId: 'k9' });
    expect(parseRoute('/login')).toEqual({ name: 'login' });
    expect(parseRoute('/dashboard')).toEqual({ name: 'dashboard' });
    expect(parseRoute('/usage')).toEqual({ name: 'usage' });
    expect(parseRoute('/audit')).toEqual({ name: 'audit' });
    expect(parseRoute('/ops')).toEqual({ name: 'ops' });
    expect(parseRoute('/')).toEqual({ name: 'dashboard' });
  });

  it('still opens the older consultation address /?c=<id>', () => {
    expect(parseRoute('/', '?c=k9')).toEqual({ name: 'consultation', consultationId: 'k9' });
    expect(parseRoute('/', '?c=../x')).toEqual({ name: 'dashboard' });
  });

  it('refuses ids that cannot be consultation ids, and unknown paths', () => {
    for (const p of ['/c/', '/c/a/b', `/c/${'x'.repeat(65)}`, '/c/a%2Fb', '/c/é', '/consultations/', '/nope', '/c//x'])
      expect(parseRoute(p), p).toEqual({ name: 'notFound' });
  });

  it('gives back the path it parses', () => {
    for (const r of [{ name: 'consultation', consultationId: 'q1' }, { name: 'login' }, { name: 'usage' }] as const)
      expect(parseRoute(pathOf(r))).toEqual(r);
  });
});
