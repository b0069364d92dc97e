// A component loaded on demand (its own chunk) that renders at once when its code was fetched
// ahead. React.lazy alone suspends on its first render even when the chunk is already here (its
// promise resolves a tick later), and React 19 then holds the content back behind the fallback
// for its 300-ms throttle: the admitted call's view started 300 ms late on both sides that way.
import { type ComponentType, createElement, lazy, useState } from 'react';

export interface Preloadable<P extends object> {
  /** Renders the loaded component at once if `preload` finished, else suspends until it does. */
  Component: ComponentType<P>;
  /** Fetches the code (once); resolves when it can render without suspending. */
  preload: () => Promise<ComponentType<P>>;
}

export function preloadable<P extends object>(load: () => Promise<ComponentType<P>>): Preloadable<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const preload = (): Promise<ComponentType<P>> => {
    pending ??= load().then(
      (c) => {
        loaded = c;
        return c;
      },
      (e: unknown) => {
        pending = null; // a failed fetch (network) is tried again next time
        throw e;
      },
    );
    return pending;
  };
  const Lazy = lazy(() => preload().then((c) => ({ default: c })));
  // biome-ignore lint/correctness/noComponentHookFactories: made once per chunk, when its module is imported (never during a render).
  function Component(props: P) {
    // Chosen once per mount: switching from the lazy wrapper to the loaded type would remount it.
    const [type] = useState<ComponentType<P>>(() => loaded ?? (Lazy as unknown as ComponentType<P>));
    return createElement(type, props);
  }
  return { Component, preload };
}
