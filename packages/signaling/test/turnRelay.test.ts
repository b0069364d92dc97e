import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientRequestName, type IceServer, TURN_RENEW_MS } from '@visita/protocol';
import { turnCredentials } from '../src/turn.ts';
import { attack } from './support/attackLog.ts';
import { admittedCall, TestStack, type TestClient } from './support/stack.ts';
import { type Address, TurnClient, TurnError } from './support/turnClient.ts';
import { TurnServer } from './support/turnServer.ts';

// coturn as `make start` runs it (scripts/coturn.sh, infra/coturn/turnserver.conf) on a LAN-like
// address where the SFU announces its media, attacked with the credentials signaling hands a waiting
// patient (through the network test) by a TURN client of our own: it may relay to the SFU only, over
// UDP only; one credential cannot take every relay; credentials are short-lived and never issued for
// an ended consultation or a revoked link.
//
// The addresses below are made on this test's own loopback: `make test` runs it in a network
// namespace with nothing but `lo` (never on a machine's real interfaces: skipped then).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The LAN address of `make start`: coturn listens and relays there, the SFU announces its media there. */
const SFU = '192.168.50.10';
const ECHO_PORT = 7000;
/** coturn's relay ports here (the in-process SFU's RTC ports are 40000-49999 on the same address). */
const RELAY_PORTS: [number, number] = [50000, 50099];
/** Hosts a relay must never reach: the clinic's networks, cloud metadata, carrier NAT, the internet, the TURN host. */
const FORBIDDEN: [string, string][] = [
  ['10.0.0.0/8', '10.1.2.3'],
  ['192.168.0.0/16 (the LAN, beside the SFU)', '192.168.7.7'],
  ['172.16.0.0/12', '172.16.5.5'],
  ['cloud metadata', '169.254.169.254'],
  ['100.64.0.0/10', '100.64.1.1'],
  ['a public address', '8.8.8.8'],
  ['the TURN host itself (loopback)', '127.0.0.1'],
];
const POLICY = readFileSync(join(ROOT, 'infra/coturn/turnserver.conf'), 'utf8');
const USER_QUOTA = Number(/^user-quota=(\d+)$/m.exec(POLICY)?.[1]);
const MAX_BPS = Number(/^max-bps=(\d+)$/m.exec(POLICY)?.[1]);

/** Signaling's default credential lifetime (VISITA_TURN_TTL_S): a few renewals, not a whole day. */
const TTL_S = 900;

/** The expiry a TURN REST username carries, in epoch seconds. */
const expiryOf = (ice: IceServer) => Number(ice.username.split(':')[0]);

const isolated =
  process.env['VISITA_NO_NETNS'] !== '1' && Object.keys(networkInterfaces()).every((name) => name === 'lo');

/** A UDP and a TCP echo service on `address`, recording what reached them. */
class Echo {
  readonly reached = { udp: 0, tcp: 0 };
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  constructor(address: string) {
    this.#udp = createSocket('udp4');
    this.#udp.on('message', (m, from) => {
      this.reached.udp++;
      this.#udp.send(m, from.port, from.address);
    });
    this.#udp.bind(ECHO_PORT, address);
    this.#tcp = createServer((s) => {
      this.reached.tcp++;
      s.on('error', () => undefined);
      s.pipe(s);
    }).listen(ECHO_PORT, address);
  }
  close(): void {
    this.#udp.close();
    this.#tcp.close();
  }
}

let turn: TurnServer;
let stack: TestStack;
let doctorToken: string;
const echoes = new Map<string, Echo>();
const added: string[] = [];
const server = (): Address => ({ address: SFU, port: turn.port });

/** A waiting patient's TURN credential, as the page gets it: the network test's transport. */
async function patientCredential(): Promise<{ ice: IceServer; patient: TestClient; consultationId: string }> {
  const c = await stack.createConsultation(doctorToken);
  const patient = await stack.connect(c.patientToken);
  const opened = await patient.request('probe:open', { consultationId: c.consultationId });
  if (!opened.ok) throw new Error(`${opened.code} ${opened.message}`);
  const ice = opened.data.transport.iceServers?.[0];
  if (!ice) throw new Error('no TURN server with the network test');
  await patient.request('probe:close', { probeId: opened.data.probeId });
  return { ice, patient, consultationId: c.consultationId };
}
const credentialOf = (ice: IceServer) => ({ username: ice.username!, credential: ice.credential! });

/** Relays a datagram to `peer`'s echo through `client`'s allocation: did it come back? */
async function relayUdp(client: TurnClient, peer: string): Promise<boolean> {
  try {
    await client.createPermission(peer);
  } catch (e) {
    if (e instanceof TurnError && e.code === 403) return false;
    throw e;
  }
  const to = { address: peer, port: ECHO_PORT };
  const back = client.receiveFrom(to);
  client.sendTo(to, Buffer.from(`hello ${peer}`));
  return (await back)?.toString() === `hello ${peer}`;
}

/** RFC 6062: a TCP relay to `peer`'s echo. Refused: which error code (442: no TCP relaying). */
async function relayTcp(cred: { username: string; credential: string }, peer: string): Promise<number | 'relayed'> {
  const client = await TurnClient.open(server(), cred, 'tcp');
  try {
    await client.allocate('tcp');
    await client.createPermission(peer);
    const socket = await client.connectTcp({ address: peer, port: ECHO_PORT });
    const back = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    socket.write(`hello ${peer}`);
    const echoed = await Promise.race([back, new Promise<null>((r) => setTimeout(() => r(null), 2_000))]);
    socket.destroy();
    return echoed === `hello ${peer}` ? 'relayed' : 0;
  } catch (e) {
    if (e instanceof TurnError) return e.code;
    throw e;
  } finally {
    client.close();
  }
}

describe.skipIf(!isolated)('coturn as make start runs it, with a patient credential', () => {
  beforeAll(async () => {
    for (const [, address] of [...FORBIDDEN, ['the SFU', SFU]]) {
      if (!address!.startsWith('127.')) {
        execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
        added.push(address!);
      }
      echoes.set(address!, new Echo(address!));
    }
    turn = await TurnServer.start(SFU, 3478, { peers: SFU, relayPorts: RELAY_PORTS });
    stack = await TestStack.start({ mediaIp: SFU, env: { ...turn.env('all'), VISITA_PROBE_RATE: '100' } });
    doctorToken = await stack.login();
  });
  afterAll(async () => {
    await stack?.stop();
    await turn?.stop();
    for (const e of echoes.values()) e.close();
    for (const a of added) execFileSync('ip', ['addr', 'del', `${a}/32`, 'dev', 'lo']);
  });

  it('relays UDP to the SFU only: every other range is refused (403), over a UDP or a TCP control connection', async () => {
    const { ice, patient } = await patientCredential();
    for (const control of ['udp', 'tcp'] as const) {
      const client = await TurnClient.open(server(), credentialOf(ice), control);
      try {
        await client.allocate('udp');
        // Every range tried (and recorded) before asserting: the table shows each one that got through.
        const results = [];
        for (const [range, address] of FORBIDDEN) {
          const before = echoes.get(address)!.reached.udp;
          const relayed = await relayUdp(client, address);
          const reached = echoes.get(address)!.reached.udp > before;
          attack('TURN peers', `UDP relay (control over ${control}) to ${range}: ${address}`, !relayed && !reached);
          results.push({ address, relayed, reached });
        }
        expect(results).toEqual(FORBIDDEN.map(([, address]) => ({ address, relayed: false, reached: false })));
        // The media server answers, as the call's media needs (a browser reaching coturn over TCP
        // still relays UDP: relay.test.ts's path).
        expect(await relayUdp(client, SFU)).toBe(true);
      } finally {
        await client.refresh(0).catch(() => undefined);
        client.close();
      }
    }
    patient.socket.close();
  });

  it('never relays TCP (RFC 6062 Connect), not even to the SFU: 442', async () => {
    const { ice, patient } = await patientCredential();
    const peers: [string, string][] = [...FORBIDDEN, ['the SFU', SFU]];
    const results = [];
    for (const [range, address] of peers) {
      const before = echoes.get(address)!.reached.tcp;
      const result = await relayTcp(credentialOf(ice), address);
      const reached = echoes.get(address)!.reached.tcp > before;
      attack('TURN peers', `TCP relay (RFC 6062) to ${range}: ${address}`, result !== 'relayed' && !reached);
      results.push({ address, result, reached });
    }
    expect(results).toEqual(peers.map(([, address]) => ({ address, result: 442, reached: false })));
    patient.socket.close();
  });

  it('issues short-lived credentials, renewed in a call, and none once the call is over or its link revoked', async () => {
    const call = await admittedCall(stack);
    const { consultationId, patient, doctor } = call;
    const created = await patient.request('media:createTransport', { consultationId, direction: 'send' });
    if (!created.ok) throw new Error(created.message);
    const issued = created.data.iceServers![0]!;
    const lifetimeS = expiryOf(issued) - Date.now() / 1000;
    console.log(`a transport's TURN credential lives ${Math.round(lifetimeS)} s`);
    attack('TURN quotas and lifetimes', 'a call transport credential valid for hours', lifetimeS <= TTL_S + 1);
    expect(lifetimeS).toBeGreaterThan((2 * TURN_RENEW_MS) / 1000);
    expect(lifetimeS).toBeLessThanOrEqual(TTL_S + 1);
    // The page's renewal, during the call: fresh credentials, the same lifetime, for this patient.
    const renewed = await patient.request('media:iceServers', { consultationId });
    if (!renewed.ok) throw new Error(renewed.message);
    expect(renewed.data.iceServers).toEqual([
      { urls: issued.urls, username: expect.stringMatching(/^\d+:pt-/), credential: expect.any(String) },
    ]);
    expect(renewed.data.iceServers[0]!.username.split(':')[1]).toBe(issued.username.split(':')[1]);
    // ... and they relay (to the SFU only).
    const client = await TurnClient.open(server(), credentialOf(renewed.data.iceServers[0]!));
    await client.allocate('udp');
    expect(await relayUdp(client, SFU)).toBe(true);
    await client.refresh(0);
    client.close();

    // Hung up: nothing issues credentials any more, to either side.
    expect((await doctor.request('consultation:hangUp', { consultationId })).ok).toBe(true);
    const asks: [ClientRequestName, unknown][] = [
      ['media:iceServers', { consultationId }],
      ['media:createTransport', { consultationId, direction: 'recv' }],
      ['media:restartIce', { consultationId, transportId: created.data.id }],
      ['probe:open', { consultationId }],
    ];
    for (const [who, socket] of [
      ['patient', patient],
      ['practitioner', doctor],
    ] as const) {
      for (const [name, payload] of asks) {
        const r = await socket.raw(name, payload);
        attack('TURN quotas and lifetimes', `${who} after hang-up: ${name} issues TURN credentials`, !r.ok);
        expect({ name, ok: r.ok }).toEqual({ name, ok: false });
      }
    }

    // A revoked link, while waiting or in a call: its sockets get none either.
    const other = await admittedCall(stack);
    const revoked = await fetch(`${stack.signalingUrl}/api/consultations/${other.consultationId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(revoked.status).toBe(200);
    // Revoking disconnects the link's sockets (nothing can be asked on them), and the link cannot
    // connect again to ask.
    const deadline = Date.now() + 2_000;
    while (other.patient.socket.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const stillAsks = other.patient.socket.connected
      ? (await other.patient.request('media:iceServers', { consultationId: other.consultationId })).ok
      : false;
    attack('TURN quotas and lifetimes', 'revoked link: its socket asks for TURN credentials', !stillAsks);
    expect(stillAsks).toBe(false);
    const back = await stack.connect(other.patientToken).then(
      (c) => c,
      () => null,
    );
    attack('TURN quotas and lifetimes', 'revoked link: connects again to ask for TURN credentials', back === null);
    expect(back).toBeNull();
    for (const c of [patient, doctor, other.patient, other.doctor]) c.socket.close();
  });

  it('refuses an expired credential a new allocation; one made before the expiry lives on (coturn checks once)', async () => {
    const who = `pt-expiry-${Date.now()}`;
    const config = { urls: [], secret: turn.secret, ttlS: 2 };
    const expired = turnCredentials(config, who, Date.now() - 3_000);
    const late = await TurnClient.open(server(), { username: expired.username, credential: expired.credential });
    const code = await late.allocate('udp').then(
      () => 0,
      (e: TurnError) => e.code,
    );
    late.close();
    attack('TURN quotas and lifetimes', 'an expired credential makes a new allocation', code === 401);
    expect(code).toBe(401);
    // Why a call needs no credential as long as itself: its allocations outlive theirs.
    const fresh = turnCredentials(config, who, Date.now());
    const client = await TurnClient.open(server(), { username: fresh.username, credential: fresh.credential });
    try {
      await client.allocate('udp');
      await new Promise((r) => setTimeout(r, 3_000));
      expect(expiryOf(fresh)).toBeLessThan(Date.now() / 1000);
      expect(await client.refresh(600)).toBe(600);
      expect(await relayUdp(client, SFU)).toBe(true);
      await client.refresh(0);
    } finally {
      client.close();
    }
  });

  it(`caps an allocation at max-bps (${MAX_BPS.toLocaleString('en')} B/s): a credential cannot flood the SFU`, async () => {
    // Sized from a call (infra/coturn/turnserver.conf): the network test's 1.5 Mbit/s, twice.
    expect(MAX_BPS).toBeGreaterThanOrEqual((2 * 1_500_000) / 8);
    expect(MAX_BPS).toBeLessThanOrEqual(500_000);
    const { ice, patient } = await patientCredential();
    // A sink on the SFU's address: counts what the relay delivers (nothing sent back).
    const sink = createSocket('udp4');
    let bytes = 0;
    sink.on('message', (m) => {
      bytes += m.length;
    });
    await new Promise<void>((r) => sink.bind(ECHO_PORT + 1, SFU, r));
    const client = await TurnClient.open(server(), credentialOf(ice));
    try {
      await client.allocate('udp');
      await client.createPermission(SFU);
      // 4 MB/s for one second, paced (40 bursts of 100 kB), ten times the cap.
      const payload = Buffer.alloc(1_000, 7);
      const started = Date.now();
      for (let burst = 0; burst < 40; burst++) {
        for (let i = 0; i < 100; i++) client.sendTo({ address: SFU, port: ECHO_PORT + 1 }, payload);
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 500));
      const seconds = (Date.now() - started) / 1000;
      const rate = bytes / seconds;
      console.log(
        `flood: 4,000,000 B sent in 1 s, ${bytes} B relayed in ${seconds.toFixed(2)} s (${Math.round(rate)} B/s)`,
      );
      // coturn lets a burst through before it throttles (its buffers): twice the cap is the bound.
      attack('TURN quotas and lifetimes', 'one allocation floods the SFU at 4 MB/s', rate <= 2 * MAX_BPS);
      expect(rate).toBeLessThanOrEqual(2 * MAX_BPS);
      expect(bytes).toBeGreaterThan(0);
      await client.refresh(0);
    } finally {
      client.close();
      sink.close();
      patient.socket.close();
    }
  });

  it(`lets one credential hold ${USER_QUOTA} allocations, and a second patient still gets a relay`, async () => {
    const first = await patientCredential();
    const held: TurnClient[] = [];
    let refusedWith = 0;
    try {
      // Far more than the quota: before it, one credential took every relay port (508 for everyone).
      for (let i = 0; i < 120 && refusedWith === 0; i++) {
        const client = await TurnClient.open(server(), credentialOf(first.ice));
        held.push(client);
        await client.allocate('udp').catch((e: unknown) => {
          if (!(e instanceof TurnError)) throw e;
          refusedWith = e.code;
        });
      }
      const allocated = held.length - (refusedWith ? 1 : 0);
      console.log(`one credential: ${allocated} allocations, then ${refusedWith || 'none refused'}`);
      attack('TURN quotas and lifetimes', 'one patient credential takes every relay port', refusedWith === 486);
      expect({ allocated, refusedWith }).toEqual({ allocated: USER_QUOTA, refusedWith: 486 });
      // Credentials issued later for the same `who` count against the same quota.
      const later = turnCredentials(
        { urls: [], secret: turn.secret, ttlS: 600 },
        first.ice.username!.split(':')[1]!,
        Date.now() + 5_000,
      );
      const again = await TurnClient.open(server(), { username: later.username!, credential: later.credential! });
      held.push(again);
      const code = await again.allocate('udp').then(
        () => 0,
        (e: TurnError) => e.code,
      );
      attack('TURN quotas and lifetimes', 'a fresh credential of the same patient escapes the quota', code === 486);
      expect(code).toBe(486);

      const second = await patientCredential();
      const other = await TurnClient.open(server(), credentialOf(second.ice));
      held.push(other);
      const ok = await other.allocate('udp').then(
        async () => relayUdp(other, SFU),
        () => false,
      );
      attack('TURN quotas and lifetimes', 'a second patient is left without a relay', ok);
      expect(ok).toBe(true);
      first.patient.socket.close();
      second.patient.socket.close();
    } finally {
      for (const c of held) {
        await c.refresh(0).catch(() => undefined);
        c.close();
      }
    }
  });

  it('stops at its total quota, 90 % of the relay ports, before they run out (486, not 508)', async () => {
    // coturn counts a released UDP allocation (Refresh 0) for about a second more (measured: 1.0 s
    // on a quiet machine; a CI run under load once still held some after 2 s).
    await new Promise((r) => setTimeout(r, 5_000));
    const held: TurnClient[] = [];
    let refusedWith = 0;
    let collisions = 0;
    try {
      for (let i = 0; i < RELAY_PORTS[1] - RELAY_PORTS[0] + 1 && refusedWith === 0; i++) {
        const cred = turnCredentials({ urls: [], secret: turn.secret, ttlS: 600 }, `pt-many-${i}`, Date.now());
        const client = await TurnClient.open(server(), cred);
        const code = await client.allocate('udp').then(
          () => 0,
          (e: unknown) => {
            if (!(e instanceof TurnError)) throw e;
            return e.code;
          },
        );
        // 437: the kernel gave this client the local port of an earlier test's client whose released
        // allocation coturn still holds (same 5-tuple). Not a refusal: another port, and this one again.
        if (code === 437 && collisions < 10) {
          collisions++;
          client.close();
          i--;
          continue;
        }
        held.push(client);
        refusedWith = code;
      }
      const allocated = held.length - (refusedWith ? 1 : 0);
      console.log(
        `many patients: ${allocated} allocations, then ${refusedWith || 'none refused'} (${collisions} local ports taken again)`,
      );
      const total = Math.floor(((RELAY_PORTS[1] - RELAY_PORTS[0] + 1) * 9) / 10);
      expect({ allocated, refusedWith }).toEqual({ allocated: total, refusedWith: 486 });
    } finally {
      for (const c of held) {
        await c.refresh(0).catch(() => undefined);
        c.close();
      }
    }
  });
});
