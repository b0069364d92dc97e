import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SFU_NODES_SET, sfuNodeKey, type SfuNodeRecord } from '@visita/protocol';
import { attack } from './support/attackLog.ts';
import { TestStack } from './support/stack.ts';

// A security review wrote a fake SFU node record into Redis: signaling placed consultations on it,
// connected to the attacker's listener and handed it its SFU control token, which the real node
// then accepted. Node records are now signed with a key derived from the SFU secret, and control
// tokens name the node they are for.

/** A listener on loopback that records every TCP connection and every handshake token it is offered. */
class Trap {
  readonly http: HttpServer;
  readonly io: Server;
  readonly tokens: unknown[] = [];
  tcpConnections = 0;

  constructor() {
    this.http = createServer((_req, res) => res.writeHead(404).end());
    this.http.on('connection', () => (this.tcpConnections += 1));
    this.io = new Server(this.http, { serveClient: false });
    this.io.use((socket, next) => {
      this.tokens.push((socket.handshake.auth as { token?: unknown }).token);
      next();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}

let stack: TestStack;
let redis: Redis;
let trap: Trap;
let forge: NodeJS.Timeout | undefined;

beforeAll(async () => {
  stack = await TestStack.start();
  redis = new Redis(stack.redis.url);
  trap = new Trap();
});
afterAll(async () => {
  if (forge) clearInterval(forge);
  redis?.disconnect();
  await trap?.close();
  await stack?.stop();
});

/**
 * Fake records, kept fresh as a heartbeat would: the least loaded nodes there are (placement
 * would prefer them), pointing at the trap. One unsigned, one with a made-up signature, one the
 * real node's signed record copied under another id.
 */
async function forgeRecords(controlUrl: string): Promise<string[]> {
  const real = await redis.get(sfuNodeKey(stack.node.nodeId));
  const write = async () => {
    const fake: SfuNodeRecord = {
      nodeId: 'a-fake-1',
      controlUrl,
      state: 'serving',
      workers: 64,
      rooms: 0,
      consumers: 0,
      cpu: 0,
      updatedAt: Date.now(),
      maxConsumers: 500,
    };
    await redis
      .multi()
      .set(sfuNodeKey('a-fake-1'), JSON.stringify(fake), 'PX', 6_000)
      .set(sfuNodeKey('a-fake-2'), JSON.stringify({ ...fake, nodeId: 'a-fake-2', sig: 'ab'.repeat(32) }), 'PX', 6_000)
      .set(sfuNodeKey('a-fake-3'), real ?? '', 'PX', 6_000)
      .set(sfuNodeKey('a-fake-4'), '{not json', 'PX', 6_000)
      .sadd(SFU_NODES_SET, 'a-fake-1', 'a-fake-2', 'a-fake-3', 'a-fake-4')
      .exec();
  };
  await write();
  forge = setInterval(() => void write(), 1_000);
  return ['a-fake-1', 'a-fake-2', 'a-fake-3', 'a-fake-4'];
}

describe('SFU node records in Redis', () => {
  it('never places on, nor connects to, a forged node; the real node keeps working', async () => {
    const fakes = await forgeRecords(await trap.listen());
    expect((await redis.smembers(SFU_NODES_SET)).sort()).toEqual([...fakes, stack.node.nodeId].sort());

    // Several consultations admitted at once, each placed: all on the real node.
    const doctorToken = await stack.login();
    const consultations = [];
    for (let i = 0; i < 3; i++) consultations.push(await stack.createConsultation(doctorToken));
    const admitted = await Promise.all(
      consultations.map(async ({ consultationId, patientToken }) => {
        const doctor = await stack.connect(doctorToken);
        const patient = await stack.connect(patientToken);
        await doctor.request('consultation:join', { consultationId });
        await patient.request('consultation:join', { consultationId, displayName: 'Mallory' });
        return { consultationId, patient, admit: await doctor.request('consultation:admit', { consultationId }) };
      }),
    );
    // The trap never heard from signaling, let alone got a control token.
    attack(
      'forged SFU nodes',
      'placement next to 4 forged records',
      trap.tokens.length === 0 && trap.tcpConnections === 0 && admitted.every((a) => a.admit.ok),
    );
    expect(trap.tokens).toEqual([]);
    expect(trap.tcpConnections).toBe(0);
    // Asked for a fake node by id (a consultation record pointing at it): refused, nothing dialled.
    const forgeries = ['unsigned', 'made-up signature', 'real record under another id', 'not JSON'];
    for (const [i, id] of fakes.entries()) {
      const code = await stack.signaling.sfu.client(id).then(
        () => 'connected',
        (e: { code?: string }) => e.code,
      );
      attack('forged SFU nodes', `dial by id: ${forgeries[i]}`, code === ErrorCode.NO_MEDIA_CAPACITY);
      expect(code).toBe(ErrorCode.NO_MEDIA_CAPACITY);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(trap.tcpConnections).toBe(0);

    for (const { consultationId, patient, admit } of admitted) {
      expect(admit).toMatchObject({ ok: true, data: { state: 'in_call' } });
      expect(stack.node.roomIds).toContain(consultationId);
      await patient.produceAudio(consultationId);
    }
    // Only the real node counts.
    expect((await stack.signaling.sfu.nodes()).map((n) => n.nodeId)).toEqual([stack.node.nodeId]);
  });
});
