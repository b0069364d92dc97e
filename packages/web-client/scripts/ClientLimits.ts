import type { Socket } from 'node:net';

/** What one client address may hold of the web server at a time. */
export interface ClientLimitsOptions {
  /** Open connections (TCP, before TLS). */
  connections: number;
  /** API requests (/api, /healthz) in flight to signaling. */
  requests: number;
  /** Socket.IO polling requests (long-polls) in flight to signaling. */
  polls: number;
}

/** Which upstream budget a proxied request takes. */
export type UpstreamUse = 'requests' | 'polls';

interface Connection {
  socket: Socket;
  /** Requests on it being answered (a request whose headers or body are still arriving is not). */
  answering: number;
}

interface Client {
  /** In order of arrival: the first one that is not answering anything is the one evicted. */
  connections: Set<Connection>;
  requests: number;
  polls: number;
}

/**
 * Per client address (the TCP peer; an IPv6 client by its /64, which one subscriber usually has
 * whole, see `addressGroup`): a cap on open connections and on requests using signaling.
 * A client at its connection cap that opens another loses its oldest connection that is not being
 * answered (idle keep-alive, headers or a body still arriving): a stranger's stalled connections
 * never lock out someone behind the same address (a clinic's or a carrier's NAT) whose request
 * is ready. With every connection busy the new one is closed at once.
 */
export class ClientLimits {
  readonly #o: ClientLimitsOptions;
  readonly #clients = new Map<string, Client>();
  /** By the connection's `address:port` (the same for the TCP socket and the TLS socket over it). */
  readonly #connections = new Map<string, Connection>();

  constructor(o: ClientLimitsOptions) {
    this.#o = o;
  }

  /** A new connection: false when it was refused (and destroyed). */
  admit(socket: Socket): boolean {
    const peer = clientAddress(socket);
    const address = peer === undefined ? undefined : addressGroup(peer);
    const key = connectionKey(socket);
    if (!address || !key) {
      socket.destroy();
      return false;
    }
    const client = this.#client(address);
    if (client.connections.size >= this.#o.connections) {
      const idle = [...client.connections].find((c) => c.answering === 0);
      if (!idle) {
        socket.destroy();
        this.#forget(address, client);
        return false;
      }
      client.connections.delete(idle);
      idle.socket.destroy();
    }
    const connection: Connection = { socket, answering: 0 };
    client.connections.add(connection);
    this.#connections.set(key, connection);
    socket.once('close', () => {
      client.connections.delete(connection);
      if (this.#connections.get(key) === connection) this.#connections.delete(key);
      this.#forget(address, client);
    });
    return true;
  }

  /** The connection of `socket` answers a request (or carries a tunnel) until `release()`. */
  answering(socket: Socket): () => void {
    const key = connectionKey(socket);
    const connection = key === undefined ? undefined : this.#connections.get(key);
    if (!connection) return () => undefined;
    connection.answering++;
    return once(() => connection.answering--);
  }

  /** One request of `use` for `address`, released by the function returned; undefined past the cap. */
  take(peer: string, use: UpstreamUse): (() => void) | undefined {
    const address = addressGroup(peer);
    const client = this.#client(address);
    if (client[use] >= this.#o[use]) {
      this.#forget(address, client);
      return undefined;
    }
    client[use]++;
    return once(() => {
      client[use]--;
      this.#forget(address, client);
    });
  }

  /** Open connections of `peer`'s address group (for tests and logs). */
  connectionsOf(peer: string): number {
    return this.#clients.get(addressGroup(peer))?.connections.size ?? 0;
  }

  #client(address: string): Client {
    let client = this.#clients.get(address);
    if (!client) {
      client = { connections: new Set(), requests: 0, polls: 0 };
      this.#clients.set(address, client);
    }
    return client;
  }

  #forget(address: string, client: Client): void {
    if (client.connections.size === 0 && client.requests === 0 && client.polls === 0) this.#clients.delete(address);
  }
}

/** The TCP peer's address, as an IPv4 address when it is one. */
export function clientAddress(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * What the limits count one client by: an IPv4 address, or the /64 of an IPv6 one (`2001:db8:1:2::/64`),
 * since a single subscriber routinely holds a whole /64 and could otherwise take a fresh budget per address.
 */
export function addressGroup(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const connectionKey = (socket: Socket): string | undefined =>
  socket.remoteAddress && socket.remotePort ? `${socket.remoteAddress}|${socket.remotePort}` : undefined;

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
