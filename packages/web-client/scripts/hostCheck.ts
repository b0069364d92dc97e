import { networkInterfaces } from 'node:os';

// Which Host headers the web server answers (pure but for `defaultHosts`, which reads the
// machine's interfaces). A name it does not serve is refused before anything else happens: a DNS
// rebinding page (evil.example resolving to the LAN address) gets nothing from this origin.

export type HostVerdict = { ok: true } | { ok: false; status: 400 | 421; reason: string };

/** The host part of a Host header value, lower case, without port or trailing dot; undefined if malformed. */
export function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  const host = m[1]!.replace(/\.$/, '');
  return host === '' ? undefined : host;
}

/** The form `hosts` lists: IPv6 addresses in brackets, lower case, no trailing dot. */
export function normaliseHost(name: string): string {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function checkHost(header: string | undefined, hosts: ReadonlySet<string>): HostVerdict {
  if (header === undefined || header === '') return { ok: false, status: 400, reason: 'missing Host header' };
  const host = hostName(header);
  if (host === undefined) return { ok: false, status: 400, reason: 'malformed Host header' };
  if (!hosts.has(host)) return { ok: false, status: 421, reason: 'this server does not serve that host' };
  return { ok: true };
}

/**
 * The names a server listening on `listenHost` answers to by default: localhost and the loopback
 * addresses, the listening address, or every address of this machine when it listens on all
 * (`0.0.0.0`, `::`: `make start` on its LAN address), plus `extra` (VISITA_WEB_HOSTS, the host of
 * VISITA_PUBLIC_URL).
 */
export function defaultHosts(listenHost: string, extra: readonly string[] = []): Set<string> {
  const hosts = ['localhost', '127.0.0.1', '::1', listenHost, ...extra];
  if (listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '')
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) hosts.push(i.address);
  return new Set(hosts.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::').map(normaliseHost));
}
