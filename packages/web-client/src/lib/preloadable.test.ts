import { createElement, lazy, Suspense } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { preloadable } from './preloadable.ts';

// The admitted call's view must render at once when its code was fetched ahead: a suspension
// there costs React 19's 300-ms reveal throttle on every call (it did, on both sides).
const View = ({ who }: { who: string }) => createElement('p', null, `call with ${who}`);
const shown = (element: ReturnType<typeof createElement>) =>
  renderToString(createElement(Suspense, { fallback: createElement('p', null, 'loading') }, element));

describe('preloadable', () => {
  it('renders without suspending once preloaded (React.lazy alone suspends even then)', async () => {
    const load = () => Promise.resolve(View);
    const p = preloadable(load);
    await p.preload();
    expect(shown(createElement(p.Component, { who: 'Dr Martin' }))).toContain('call with Dr Martin');
    // What it replaces: the chunk is here, yet the first render suspends.
    const Plain = lazy(() => load().then((c) => ({ default: c })));
    await load();
    expect(shown(createElement(Plain, { who: 'Dr Martin' }))).toContain('loading');
  });

  it('suspends when not loaded yet, fetches once, and tries again after a failed fetch', async () => {
    let calls = 0;
    const p = preloadable(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('offline')) : Promise.resolve(View);
    });
    await expect(p.preload()).rejects.toThrow('offline');
    expect(shown(createElement(p.Component, { who: 'x' }))).toContain('loading');
    await p.preload();
    await p.preload();
    expect(calls).toBe(2);
    expect(shown(createElement(p.Component, { who: 'y' }))).toContain('call with y');
  });
});
