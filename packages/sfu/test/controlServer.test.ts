import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audience, ErrorCode, PROTOCOL_VERSION, TOKEN_ISSUER, sfuControlAudience, type Ack } from '@visita/protocol';
import { ControlServer } from '../src/ControlServer.ts';
import { createLogger } from '../src/logger.ts';
import { SfuNode } from '../src/SfuNode.ts';
import { WorkerPool } from '../src/WorkerPool.ts';

const SECRET = 'control-test-secret-0123456789';
const log = createLogger('silent');
let pool: WorkerPool;
let node: SfuNode;
let control: ControlServer;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  pool = await WorkerPool.create(1, log);
  node = new SfuNode(
    'node-ctl',
    pool,
    { listenIp: '127.0.0.1', announcedAddress: undefined, minPort: 40000, maxPort: 49999 },
    log,
  );
  control = new ControlServer(node, SECRET, log);
  url = `http://127.0.0.1:${await control.listen(0, '127.0.0.1')}`;
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await control.close();
  node.close();
  pool.close();
});

/** A control token; an option given as undefined is left out (e.g. `expiresIn: undefined`: no exp). */
const token = (opts: jwt.SignOptions = {}, secret = SECRET, payload: object = { kind: 'sfu-control' }) => {
  const options = {
    algorithm: 'HS256',
    issuer: TOKEN_ISSUER,
    audience: sfuControlAudience('node-ctl'),
    subject: 'sig-1',
    expiresIn: 60,
    ...opts,
  } as const;
  return jwt.sign(
    payload,
    secret,
    Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as jwt.SignOptions,
  );
};

function connect(auth: object): Promise<Socket> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e: Error & { data?: { code?: string } }) =>
      reject(new Error(e.data?.code ?? e.message)),
    );
  });
}
const rpc = (s: Socket, envelope: unknown) => s.timeout(5_000).emitWithAck('rpc', envelope) as Promise<Ack<unknown>>;

describe('SFU control connection', () => {
  it('refuses connections without a valid control token or with another protocol version', async () => {
    await expect(connect({})).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    await expect(
      connect({ token: token({}, 'another-secret-another-secret'), protocolVersion: PROTOCOL_VERSION }),
    ).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    await expect(
      connect({ token: token({ audience: Audience.PRACTITIONER }), protocolVersion: PROTOCOL_VERSION }),
    ).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    await expect(connect({ token: token({ algorithm: 'HS512' }), protocolVersion: PROTOCOL_VERSION })).rejects.toThrow(
      ErrorCode.UNAUTHENTICATED,
    );
    await expect(connect({ token: token(), protocolVersion: PROTOCOL_VERSION + 1 })).rejects.toThrow(
      ErrorCode.PROTOCOL_MISMATCH,
    );
  });

  const v = PROTOCOL_VERSION;
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a control token made for another node', async () => {
    // What a fake node record in Redis would have collected from signaling: no key to this node.
    await expect(
      connect({ token: token({ audience: sfuControlAudience('node-other') }), protocolVersion: v }),
    ).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    // Nor the old node-less audience, nor the prefix with an empty id.
    await expect(connect({ token: token({ audience: Audience.SFU_CONTROL }), protocolVersion: v })).rejects.toThrow(
      ErrorCode.UNAUTHENTICATED,
    );
    await expect(connect({ token: token({ audience: sfuControlAudience('') }), protocolVersion: v })).rejects.toThrow(
      ErrorCode.UNAUTHENTICATED,
    );
    await expect(connect({ token: token(), protocolVersion: v })).resolves.toBeDefined();
  });

  it('refuses a control token without an expiry or an issue date', async () => {
    await expect(connect({ token: token({ expiresIn: undefined }), protocolVersion: v })).rejects.toThrow(
      ErrorCode.UNAUTHENTICATED,
    );
    await expect(connect({ token: token({ noTimestamp: true }), protocolVersion: v })).rejects.toThrow(
      ErrorCode.UNAUTHENTICATED,
    );
  });

  it('refuses an expired control token, or one issued longer ago than a control token lives', async () => {
    await expect(
      connect({
        token: token({ expiresIn: undefined }, SECRET, { kind: 'sfu-control', iat: now() - 120, exp: now() - 60 }),
        protocolVersion: v,
      }),
    ).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    await expect(
      connect({
        token: token({ expiresIn: undefined }, SECRET, { kind: 'sfu-control', iat: now() - 600, exp: now() + 3_600 }),
        protocolVersion: v,
      }),
    ).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a control token dated ahead of the node’s clock, or made to live longer than a control token', async () => {
    const dated = (iat: number, exp: number) =>
      connect({
        token: token({ expiresIn: undefined }, SECRET, { kind: 'sfu-control', iat, exp }),
        protocolVersion: v,
      });
    const year = 365 * 24 * 3600;
    // Dated five years ahead, expiring a minute after that: jsonwebtoken alone took it (its maxAge
    // counts from iat), and it would have opened this node for five years.
    await expect(dated(now() + 5 * year, now() + 5 * year + 60)).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    await expect(dated(now() + 180, now() + 240)).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    // Issued now and living an hour (a control token lives 60 s).
    await expect(dated(now(), now() + 3_600)).rejects.toThrow(ErrorCode.UNAUTHENTICATED);
    // A signaling clock a little ahead (within SFU_CONTROL_MAX_SKEW_S) still connects.
    await expect(dated(now() + 20, now() + 80)).resolves.toBeDefined();
  });

  it('serves the typed RPC and answers bad calls with typed errors', async () => {
    const s = await connect({ token: token(), protocolVersion: PROTOCOL_VERSION });
    expect(await rpc(s, { method: 'node.status', params: {} })).toEqual({
      ok: true,
      data: {
        nodeId: 'node-ctl',
        workers: 1,
        rooms: 0,
        probes: 0,
        perWorker: [{ pid: expect.any(Number), rooms: 0, consumers: 0 }],
        transports: 0,
        producers: 0,
        consumers: 0,
      },
    });
    expect(await rpc(s, { method: 'room.open', params: { roomId: 'r1' } })).toMatchObject({
      ok: true,
      data: { created: true },
    });
    expect(await rpc(s, 'garbage')).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST });
    expect(await rpc(s, { method: 'worker.kill', params: {} })).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_REQUEST,
    });
    expect(await rpc(s, { method: 'toString', params: {} })).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST });
    expect(await rpc(s, { method: 'room.open', params: { roomId: 'a b' } })).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_REQUEST,
    });
    expect(
      await rpc(s, { method: 'transport.create', params: { roomId: 'nope', peerId: 'p', direction: 'send' } }),
    ).toMatchObject({
      ok: false,
      code: ErrorCode.NOT_FOUND,
    });
    expect(node.roomIds).toEqual(['r1']);
  });

  it('pushes room events to signaling', async () => {
    const s = await connect({ token: token(), protocolVersion: PROTOCOL_VERSION });
    const closed = new Promise((r) => s.once('room.closed', r));
    expect(await rpc(s, { method: 'room.close', params: { roomId: 'r1' } })).toEqual({
      ok: true,
      data: { closed: true },
    });
    expect(await closed).toEqual({ roomId: 'r1', reason: 'closed' });
  });
});
