import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';

// A small TURN client, enough to use a credential as an attacker would: Allocate with long-term
// credentials (RFC 8656: 401 with REALM and NONCE, then USERNAME, REALM, NONCE and
// MESSAGE-INTEGRITY keyed with MD5(username:realm:password)), Refresh, CreatePermission, Send
// indications out and Data indications back (UDP relaying), and RFC 6062's TCP relaying (Allocate
// with REQUESTED-TRANSPORT TCP, Connect, then ConnectionBind on a second connection, which then
// carries the peer's bytes). The control connection is UDP or TCP to the server.

const MAGIC = 0x2112a442;

export const Method = {
  ALLOCATE: 0x003,
  REFRESH: 0x004,
  SEND: 0x006,
  DATA: 0x007,
  CREATE_PERMISSION: 0x008,
  CONNECT: 0x00a,
  CONNECTION_BIND: 0x00b,
} as const;

const Attr = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  DATA: 0x0013,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
  CONNECTION_ID: 0x002a,
} as const;

const Class = { REQUEST: 0, INDICATION: 1, SUCCESS: 2, ERROR: 3 } as const;

export interface Address {
  address: string;
  port: number;
}

export interface StunMessage {
  method: number;
  cls: number;
  id: Buffer;
  attrs: Map<number, Buffer>;
}

/** A TURN request the server answered with an error (`code`: 401, 403, 437, 442, 486, 508…). */
export class TurnError extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(`TURN error ${code}: ${reason}`);
    this.code = code;
  }
}

function messageType(method: number, cls: number): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

function encode(method: number, cls: number, id: Buffer, attrs: [number, Buffer][], key?: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [type, value] of attrs) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(value.length, 2);
    parts.push(head, value, Buffer.alloc((4 - (value.length % 4)) % 4));
  }
  let body = Buffer.concat(parts);
  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(messageType(method, cls), 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC, 4);
    id.copy(h, 8);
    return h;
  };
  if (key) {
    // The HMAC covers the message with its length already counting MESSAGE-INTEGRITY (24 bytes).
    const hmac = createHmac('sha1', key)
      .update(Buffer.concat([header(body.length + 24), body]))
      .digest();
    const head = Buffer.alloc(4);
    head.writeUInt16BE(Attr.MESSAGE_INTEGRITY, 0);
    head.writeUInt16BE(20, 2);
    body = Buffer.concat([body, head, hmac]);
  }
  return Buffer.concat([header(body.length), body]);
}

function decode(buf: Buffer): StunMessage | null {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC || (buf[0]! & 0xc0) !== 0) return null;
  const type = buf.readUInt16BE(0);
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = ((type >> 4) & 1) | ((type >> 7) & 2);
  const length = buf.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= 20 + length && at + 4 <= buf.length; ) {
    const t = buf.readUInt16BE(at);
    const l = buf.readUInt16BE(at + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(at + 4, at + 4 + l));
    at += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { method, cls, id: buf.subarray(8, 20), attrs };
}

function xorAddress(a: Address): Buffer {
  const b = Buffer.alloc(8);
  b[1] = 0x01; // IPv4
  b.writeUInt16BE(a.port ^ (MAGIC >>> 16), 2);
  const octets = a.address.split('.').map(Number);
  b.writeUInt32BE((((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) ^ MAGIC) >>> 0, 4);
  return b;
}

function readXorAddress(b: Buffer): Address {
  const port = b.readUInt16BE(2) ^ (MAGIC >>> 16);
  const n = (b.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), port };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Splits a TCP byte stream into STUN messages (20-byte header + its length). */
class StunFramer {
  #pending = Buffer.alloc(0);
  push(chunk: Buffer, onMessage: (m: Buffer) => void): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 20) {
      const total = 20 + this.#pending.readUInt16BE(2);
      if (this.#pending.length < total) return;
      onMessage(this.#pending.subarray(0, total));
      this.#pending = this.#pending.subarray(total);
    }
  }
}

export interface TurnCredential {
  username: string;
  credential: string;
}

/** One client transport to a TURN server (UDP or TCP) and, after `allocate`, its allocation. */
export class TurnClient {
  readonly #server: Address;
  readonly #cred: TurnCredential;
  readonly #send: (b: Buffer) => void;
  readonly #close: () => void;
  readonly #waiting = new Map<string, (m: StunMessage) => void>();
  readonly #dataListeners: ((from: Address, data: Buffer) => void)[] = [];
  #realm = '';
  #nonce = Buffer.alloc(0);
  #key = Buffer.alloc(0);
  relayed: Address | null = null;
  readonly timeoutMs: number;
  /** Requests are sent again until answered: over UDP only (TCP delivers them once). */
  readonly #retransmit: boolean;

  private constructor(
    server: Address,
    cred: TurnCredential,
    send: (b: Buffer) => void,
    close: () => void,
    timeoutMs: number,
    retransmit: boolean,
  ) {
    this.#server = server;
    this.#cred = cred;
    this.#send = send;
    this.#close = close;
    this.timeoutMs = timeoutMs;
    this.#retransmit = retransmit;
  }

  /** A client whose control connection is `transport` to `server`. */
  static async open(
    server: Address,
    cred: TurnCredential,
    transport: 'udp' | 'tcp' = 'udp',
    timeoutMs = 2_000,
  ): Promise<TurnClient> {
    let client: TurnClient;
    if (transport === 'udp') {
      const sock: UdpSocket = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, r));
      client = new TurnClient(
        server,
        cred,
        (b) => sock.send(b, server.port, server.address),
        () => sock.close(),
        timeoutMs,
        true,
      );
      sock.on('message', (m) => client.#receive(m));
    } else {
      const sock = await tcpConnect(server);
      client = new TurnClient(
        server,
        cred,
        (b) => sock.write(b),
        () => sock.destroy(),
        timeoutMs,
        false,
      );
      const framer = new StunFramer();
      sock.on('data', (d: Buffer) => framer.push(d, (m) => client.#receive(m)));
    }
    return client;
  }

  #receive(buf: Buffer): void {
    const m = decode(buf);
    if (!m) return;
    if (m.cls === Class.INDICATION && m.method === Method.DATA) {
      const peer = m.attrs.get(Attr.XOR_PEER_ADDRESS);
      const data = m.attrs.get(Attr.DATA);
      if (peer && data) for (const l of this.#dataListeners) l(readXorAddress(peer), Buffer.from(data));
      return;
    }
    this.#waiting.get(m.id.toString('hex'))?.(m);
  }

  async #transact(method: number, attrs: [number, Buffer][], authenticated = true): Promise<StunMessage> {
    const once = (withAuth: boolean): Promise<StunMessage> => {
      const id = randomBytes(12);
      const all: [number, Buffer][] = withAuth
        ? [
            ...attrs,
            [Attr.USERNAME, Buffer.from(this.#cred.username)],
            [Attr.REALM, Buffer.from(this.#realm)],
            [Attr.NONCE, this.#nonce],
          ]
        : attrs;
      const msg = encode(method, Class.REQUEST, id, all, withAuth ? this.#key : undefined);
      return new Promise((resolve, reject) => {
        const key = id.toString('hex');
        // UDP: sent again every 500 ms, like RFC 8489's retransmissions (here within the timeout).
        const again = setInterval(() => this.#retransmit && this.#send(msg), 500);
        const timer = setTimeout(() => {
          clearInterval(again);
          this.#waiting.delete(key);
          reject(new TurnError(0, 'no answer'));
        }, this.timeoutMs);
        this.#waiting.set(key, (m) => {
          clearInterval(again);
          clearTimeout(timer);
          this.#waiting.delete(key);
          resolve(m);
        });
        this.#send(msg);
      });
    };
    let answer = await once(authenticated && this.#realm !== '');
    const code = errorCode(answer);
    // The first request learns the realm and nonce (401); a stale nonce (438) gets a fresh one.
    if (authenticated && (code === 401 || code === 438) && answer.attrs.has(Attr.NONCE)) {
      this.#realm = answer.attrs.get(Attr.REALM)?.toString() ?? this.#realm;
      this.#nonce = Buffer.from(answer.attrs.get(Attr.NONCE)!);
      this.#key = createHash('md5').update(`${this.#cred.username}:${this.#realm}:${this.#cred.credential}`).digest();
      answer = await once(true);
    }
    if (answer.cls === Class.ERROR) {
      const e = answer.attrs.get(Attr.ERROR_CODE);
      throw new TurnError(errorCode(answer)!, e ? e.subarray(4).toString() : '');
    }
    return answer;
  }

  /** Allocates a relay (UDP, or RFC 6062's TCP); its address is `relayed`. */
  async allocate(relay: 'udp' | 'tcp' = 'udp', lifetimeS?: number): Promise<Address> {
    const attrs: [number, Buffer][] = [[Attr.REQUESTED_TRANSPORT, Buffer.from([relay === 'udp' ? 17 : 6, 0, 0, 0])]];
    if (lifetimeS !== undefined) attrs.push([Attr.LIFETIME, u32(lifetimeS)]);
    const answer = await this.#transact(Method.ALLOCATE, attrs);
    this.relayed = readXorAddress(answer.attrs.get(Attr.XOR_RELAYED_ADDRESS)!);
    return this.relayed;
  }

  /** Refreshes the allocation (0: releases it); the lifetime the server granted. */
  async refresh(lifetimeS: number): Promise<number> {
    const answer = await this.#transact(Method.REFRESH, [[Attr.LIFETIME, u32(lifetimeS)]]);
    return answer.attrs.get(Attr.LIFETIME)?.readUInt32BE(0) ?? 0;
  }

  async createPermission(peerAddress: string): Promise<void> {
    await this.#transact(Method.CREATE_PERMISSION, [
      [Attr.XOR_PEER_ADDRESS, xorAddress({ address: peerAddress, port: 0 })],
    ]);
  }

  /** A Send indication: `data` relayed to `peer` (no answer, by design). */
  sendTo(peer: Address, data: Buffer): void {
    this.#send(
      encode(Method.SEND, Class.INDICATION, randomBytes(12), [
        [Attr.XOR_PEER_ADDRESS, xorAddress(peer)],
        [Attr.DATA, data],
      ]),
    );
  }

  /** The first Data indication from `peer` within the timeout, or null. */
  receiveFrom(peer: Address): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const listener = (from: Address, data: Buffer) => {
        if (from.address !== peer.address || from.port !== peer.port) return;
        done(data);
      };
      const timer = setTimeout(() => done(null), this.timeoutMs);
      const done = (v: Buffer | null) => {
        clearTimeout(timer);
        const i = this.#dataListeners.indexOf(listener);
        if (i >= 0) this.#dataListeners.splice(i, 1);
        resolve(v);
      };
      this.#dataListeners.push(listener);
    });
  }

  /**
   * RFC 6062: asks the server to open a TCP connection to `peer` (Connect), then binds a second
   * connection to it (ConnectionBind): the returned socket carries the peer's bytes both ways.
   */
  async connectTcp(peer: Address): Promise<TcpSocket> {
    const answer = await this.#transact(Method.CONNECT, [[Attr.XOR_PEER_ADDRESS, xorAddress(peer)]]);
    const connectionId = answer.attrs.get(Attr.CONNECTION_ID)!;
    const data = await tcpConnect(this.#server);
    const bind = new TurnClient(
      this.#server,
      this.#cred,
      (b) => data.write(b),
      () => data.destroy(),
      this.timeoutMs,
      false,
    );
    bind.#realm = this.#realm;
    bind.#nonce = this.#nonce;
    bind.#key = this.#key;
    const framer = new StunFramer();
    const onData = (d: Buffer) => framer.push(d, (m) => bind.#receive(m));
    data.on('data', onData);
    try {
      await bind.#transact(Method.CONNECTION_BIND, [[Attr.CONNECTION_ID, Buffer.from(connectionId)]]);
    } catch (e) {
      data.destroy();
      throw e;
    }
    data.off('data', onData); // from here on, raw bytes of the peer
    return data;
  }

  close(): void {
    this.#close();
  }
}

function errorCode(m: StunMessage): number | null {
  const e = m.attrs.get(Attr.ERROR_CODE);
  return m.cls === Class.ERROR && e ? (e[2]! & 7) * 100 + e[3]! : null;
}

function tcpConnect(to: Address): Promise<TcpSocket> {
  return new Promise((resolve, reject) => {
    const s = connect(to.port, to.address);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => undefined); // a reset once the test is done with it
      resolve(s);
    });
  });
}
