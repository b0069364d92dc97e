// A small router: the path names a screen; history.pushState moves between them without a reload.
import { useSyncExternalStore } from 'react';

const ID = '([A-Za-z0-9_-]{1,64})';

export type Route =
  /** The patient's link: `/c/<consultationId>#t=<token>` (the token never leaves the fragment). */
  | { name: 'patient'; consultationId: string }
  | { name: 'login' }
  | { name: 'dashboard' }
  | { name: 'consultation'; consultationId: string }
  | { name: 'usage' }
  | { name: 'audit' }
  | { name: 'ops' }
  | { name: 'notFound' };

/** The screen for a path (and query: `/?c=<id>`, the older consultation address, still opens it). */
export function parseRoute(pathname: string, search = ''): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/$/, '') : pathname;
  let m = new RegExp(`^/c/${ID}$`).exec(path);
  if (m) return { name: 'patient', consultationId: m[1]! };
  m = new RegExp(`^/consultations/${ID}$`).exec(path);
  if (m) return { name: 'consultation', consultationId: m[1]! };
  if (path === '/') {
    const c = new URLSearchParams(search).get('c');
    if (c && new RegExp(`^${ID}$`).test(c)) return { name: 'consultation', consultationId: c };
    return { name: 'dashboard' };
  }
  if (path === '/login') return { name: 'login' };
  if (path === '/dashboard') return { name: 'dashboard' };
  if (path === '/usage') return { name: 'usage' };
  if (path === '/audit') return { name: 'audit' };
  if (path === '/ops') return { name: 'ops' };
  return { name: 'notFound' };
}

/** The path of a practitioner's screen. */
export function pathOf(route: Exclude<Route, { name: 'patient' | 'notFound' }>): string {
  switch (route.name) {
    case 'consultation':
      return `/consultations/${route.consultationId}`;
    default:
      return `/${route.name}`;
  }
}

const listeners = new Set<() => void>();
const subscribe = (l: () => void) => {
  listeners.add(l);
  window.addEventListener('popstate', l);
  return () => {
    listeners.delete(l);
    window.removeEventListener('popstate', l);
  };
};
const location = () => window.location.pathname + window.location.search;

/** Goes to a path; `replace` when the current screen should not be returned to (a redirect). */
export function navigate(path: string, { replace = false } = {}): void {
  if (path === location()) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const l of listeners) l();
}

let cached: { key: string; route: Route } | null = null;
const snapshot = (): Route => {
  const key = location();
  if (cached?.key !== key) cached = { key, route: parseRoute(window.location.pathname, window.location.search) };
  return cached.route;
};

/** The current route; re-renders on navigation and on the browser's back and forward. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, snapshot);
}
