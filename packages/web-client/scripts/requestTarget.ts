// Where a request goes, decided from its raw request target alone (pure: no I/O). Signaling gets
// only the paths it serves to the public, in one canonical spelling, so no upstream URL parser can
// resolve a dot segment of ours into one of its internal routes (`/api/../metrics` → `/metrics`).

export type Route =
  /** Proxied to signaling: `target` is the normalised path, re-encoded, plus the raw query. */
  | { kind: 'signaling'; target: string }
  /** A file of the built client (or the app's index.html): `path` is decoded and normalised. */
  | { kind: 'static'; path: string }
  | { kind: 'refused'; status: 400 | 404; reason: string };

/** The public part of signaling: Socket.IO, the API and the health check. Nothing else, ever. */
const SIGNALING_PREFIXES = ['/socket.io/', '/api/'];
const SIGNALING_PATHS = ['/healthz'];
/** First segments that belong to signaling: never proxied unless listed above, never the app. */
const SIGNALING_NAMES = new Set(['socket.io', 'api', 'healthz', 'metrics']);

export function routeRequest(rawTarget: string): Route {
  // Origin-form only: no absolute-form (`http://host/x`), authority-form or asterisk-form.
  if (!rawTarget.startsWith('/')) return refused('not an origin-form request target');
  if (rawTarget.includes('#')) return refused('fragment in request target');
  const q = rawTarget.indexOf('?');
  const rawPath = q === -1 ? rawTarget : rawTarget.slice(0, q);
  const query = q === -1 ? '' : rawTarget.slice(q);
  if (/\\|%5c/i.test(rawPath)) return refused('backslash in path');
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return refused('malformed percent-encoding');
  }
  // A `%` left after one decoding is double encoding: no path of ours has one.
  if (/[\u0000-\u001f\u007f\\%]/.test(path)) return refused('control character, backslash or double encoding in path');
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  if (segments.some((s, i) => s === '.' || s === '..' || (s === '' && i < last)))
    return refused('dot or empty segment in path');

  if (SIGNALING_PATHS.includes(path) || SIGNALING_PREFIXES.some((p) => path.startsWith(p))) {
    return { kind: 'signaling', target: `/${segments.map(encodeURIComponent).join('/')}${query}` };
  }
  if (SIGNALING_NAMES.has(segments[0]!)) return { kind: 'refused', status: 404, reason: 'not served' };
  return { kind: 'static', path };
}

const refused = (reason: string): Route => ({ kind: 'refused', status: 400, reason });
