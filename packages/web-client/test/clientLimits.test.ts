import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressGroup, ClientLimits } from '../scripts/ClientLimits.ts';

// ClientLimits without a server: sockets are stand-ins with an address, a port and destroy().

let port = 40_000;
function fakeSocket(remoteAddress: string): Socket & { destroyedByLimits: boolean } {
  const socket = Object.assign(new EventEmitter(), {
    remoteAddress,
    remotePort: port++,
    destroyedByLimits: false,
    destroy() {
      socket.destroyedByLimits = true;
      socket.emit('close');
      return socket;
    },
  });
  return socket as unknown as Socket & { destroyedByLimits: boolean };
}

describe('ClientLimits', () => {
  it('evicts the oldest connection not being answered, and refuses when all are', () => {
    const limits = new ClientLimits({ connections: 3, requests: 1, polls: 1 });
    const [a, b, c] = ['198.51.100.7', '198.51.100.7', '::ffff:198.51.100.7'].map(fakeSocket) as [
      ReturnType<typeof fakeSocket>,
      ReturnType<typeof fakeSocket>,
      ReturnType<typeof fakeSocket>,
    ];
    for (const s of [a, b, c]) expect(limits.admit(s)).toBe(true);
    const releaseA = limits.answering(a);
    const d = fakeSocket('198.51.100.7');
    expect(limits.admit(d)).toBe(true);
    expect([a, b, c].map((s) => s.destroyedByLimits)).toEqual([false, true, false]); // a is busy: b goes
    limits.answering(c);
    limits.answering(d);
    const e = fakeSocket('198.51.100.7');
    expect(limits.admit(e)).toBe(false);
    expect(e.destroyedByLimits).toBe(true);
    releaseA();
    releaseA(); // idempotent
    expect(limits.admit(fakeSocket('198.51.100.7'))).toBe(true);
    expect(a.destroyedByLimits).toBe(true);
    expect(limits.admit(fakeSocket('198.51.100.8'))).toBe(true); // another address has its own
    expect(limits.connectionsOf('198.51.100.7')).toBe(3);
  });

  it('counts requests and polls apart, per address, and gives each back once', () => {
    const limits = new ClientLimits({ connections: 1, requests: 2, polls: 1 });
    const r1 = limits.take('198.51.100.7', 'requests');
    const r2 = limits.take('198.51.100.7', 'requests');
    expect(limits.take('198.51.100.7', 'requests')).toBeUndefined();
    expect(limits.take('198.51.100.7', 'polls')).toBeDefined();
    expect(limits.take('198.51.100.7', 'polls')).toBeUndefined();
    expect(limits.take('198.51.100.8', 'requests')).toBeDefined();
    r1!();
    r1!();
    expect(limits.take('198.51.100.7', 'requests')).toBeDefined();
    expect(limits.take('198.51.100.7', 'requests')).toBeUndefined();
    r2!();
  });

  it('groups an IPv6 client by its /64', () => {
    expect(addressGroup('203.0.113.9')).toBe('203.0.113.9');
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    const limits = new ClientLimits({ connections: 1, requests: 1, polls: 1 });
    expect(limits.take('2001:db8:1:2::1', 'requests')).toBeDefined();
    expect(limits.take('2001:db8:1:2::2', 'requests')).toBeUndefined(); // the same /64
    expect(limits.take('2001:db8:1:3::1', 'requests')).toBeDefined();
  });
});
