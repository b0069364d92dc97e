import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { attack } from './support/attackLog.ts';
import { MediaBot } from './support/mediaBot.ts';
import { type TestClient, TestStack } from './support/stack.ts';

// The pre-call network test against the real stack: a patient's test reaches the media node with
// real ICE, DTLS and RTP (libwebrtc in Node), the node keeps it apart from the calls and closes it
// by itself; a test is its connection's, and nothing of the consultation changes.
let stack: TestStack;
let token: string;
const TTL_MS = 2_000;
const RATE = 4;
const TURN_URL = 'turn:127.0.0.1:3478?transport=udp';

beforeAll(async () => {
  stack = await TestStack.start({
    env: {
      VISITA_PROBE_TTL_MS: String(TTL_MS),
      VISITA_PROBE_RATE: String(RATE),
      // Handed out only (nothing listens there): the test's host candidates carry its media.
      VISITA_TURN_URLS: TURN_URL,
      VISITA_TURN_SECRET: 'network-test-turn-secret',
    },
  });
  token = await stack.login();
});
afterAll(async () => {
  await stack?.stop();
});

const probeRoom = (probeId: string) =>
  stack.node.handlers['room.get']({ roomId: probeId }).then(
    (r) => r,
    () => null,
  );
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const consultationState = (id: string) => stack.signaling.redis.hgetall(`visita:consultation:${id}`);

it("a patient's test reaches the media node (ICE, DTLS, RTP), changes nothing of the consultation, and is closed on request", async () => {
  const c = await stack.createConsultation(token);
  const before = await consultationState(c.consultationId);
  const patient = await stack.connect(c.patientToken);
  const bot = await MediaBot.sendAudioToProbe(patient, c.consultationId);
  try {
    const room = await until(
      () => probeRoom(bot.probeId),
      (r) => r?.peers[0]?.producers[0]?.flowingAt != null,
    );
    expect(room?.peers.map((p) => p.peerId)).toEqual(['probe']);
    expect(room?.peers[0]?.producers[0]?.flowingAt).toEqual(expect.any(Number));
    // Not a call: placement does not reserve a call's consumers for it, and nothing is metered.
    expect(stack.node.status()).toMatchObject({ rooms: 0, probes: 1 });
    expect(await stack.signaling.redis.llen(`visita:metering:c:${c.consultationId}`)).toBe(0);
    expect(await consultationState(c.consultationId)).toEqual(before);
    expect(await patient.request('probe:close', { probeId: bot.probeId })).toEqual({
      ok: true,
      data: { closed: true },
    });
    expect(await probeRoom(bot.probeId)).toBeNull();
    expect(stack.node.status().probes).toBe(0);
  } finally {
    bot.close();
    patient.socket.close();
  }
});

it('hands the test the TURN servers and ICE policy of a call, and the node closes it after its TTL', async () => {
  const c = await stack.createConsultation(token);
  const patient = await stack.connect(c.patientToken);
  const opened = await patient.request('probe:open', { consultationId: c.consultationId });
  if (!opened.ok) throw new Error(opened.message);
  expect(opened.data.ttlMs).toBe(TTL_MS);
  expect(opened.data.transport.iceCandidates.length).toBeGreaterThan(0);
  expect(opened.data.transport.iceServers).toEqual([
    { urls: [TURN_URL], username: expect.stringMatching(/^\d+:/), credential: expect.any(String) },
  ]);
  expect(opened.data.rtpCapabilities.codecs?.length).toBeGreaterThan(0);
  expect(await probeRoom(opened.data.probeId)).not.toBeNull();
  const openedAt = Date.now();
  expect(
    await until(
      () => probeRoom(opened.data.probeId),
      (r) => r === null,
      TTL_MS + 3_000,
    ),
  ).toBeNull();
  expect(Date.now() - openedAt).toBeGreaterThanOrEqual(TTL_MS - 200);
  // What the socket still holds is gone from the node: a typed error, not a crash.
  const late = await patient.request('probe:produce', {
    probeId: opened.data.probeId,
    kind: 'audio',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2 }] },
  });
  expect(late.ok ? 'ok' : late.code).toBe(ErrorCode.NOT_FOUND);
  patient.socket.close();
});

it('closes the test with its connection, and a newer test replaces the older one', async () => {
  const c = await stack.createConsultation(token);
  const patient = await stack.connect(c.patientToken);
  const first = await patient.request('probe:open', { consultationId: c.consultationId });
  const second = await patient.request('probe:open', { consultationId: c.consultationId });
  if (!first.ok || !second.ok) throw new Error('probe:open refused');
  expect(
    await until(
      () => probeRoom(first.data.probeId),
      (r) => r === null,
    ),
  ).toBeNull();
  expect(await probeRoom(second.data.probeId)).not.toBeNull();
  const old = await patient.request('probe:close', { probeId: first.data.probeId });
  expect(old.ok ? 'ok' : old.code).toBe(ErrorCode.NOT_FOUND);
  patient.socket.close();
  expect(
    await until(
      () => probeRoom(second.data.probeId),
      (r) => r === null,
    ),
  ).toBeNull();
  expect(stack.node.status().probes).toBe(0);
});

it('refuses, typed and changing nothing: an ended consultation, another one, another connection’s test, a flood, bad input', async () => {
  const ended = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  await doctor.request('consultation:hangUp', { consultationId: ended.consultationId });
  const mine = await stack.createConsultation(token);
  const other = await stack.createConsultation(token);
  const patient = await stack.connect(mine.patientToken);
  const endedPatient = await stack.connect(ended.patientToken);
  const otherPatient = await stack.connect(other.patientToken);
  const code = async (r: Promise<{ ok: boolean; code?: string }>) => {
    const a = await r;
    return a.ok ? 'ok' : a.code;
  };
  const outcomes: Array<[string, unknown, string]> = [];
  const expectRefused = async (what: string, r: Promise<{ ok: boolean; code?: string }>, expected: string) => {
    const got = await code(r);
    attack('network test (pre-call)', what, got === expected);
    outcomes.push([what, got, expected]);
  };
  const theirs = await otherPatient.request('probe:open', { consultationId: other.consultationId });
  if (!theirs.ok) throw new Error(theirs.message);
  const probes = stack.node.status().probes;
  await expectRefused(
    'ended consultation',
    endedPatient.request('probe:open', { consultationId: ended.consultationId }),
    ErrorCode.INVALID_STATE,
  );
  await expectRefused(
    "another consultation's id",
    patient.request('probe:open', { consultationId: other.consultationId }),
    ErrorCode.FORBIDDEN,
  );
  await expectRefused(
    "another connection's test, closed",
    patient.request('probe:close', { probeId: theirs.data.probeId }),
    ErrorCode.NOT_FOUND,
  );
  await expectRefused(
    "another connection's test, connected",
    patient.request('probe:connect', {
      probeId: theirs.data.probeId,
      dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
    }),
    ErrorCode.NOT_FOUND,
  );
  await expectRefused('a made-up id', patient.raw('probe:close', { probeId: 'probe-../../x' }), ErrorCode.BAD_REQUEST);
  await expectRefused('no payload', patient.raw('probe:open', null), ErrorCode.BAD_REQUEST);
  expect(stack.node.status().probes).toBe(probes);
  expect(await probeRoom(theirs.data.probeId)).not.toBeNull();
  // A link's budget of tests (VISITA_PROBE_RATE per 10 minutes), shared by its connections.
  const flood = await stack.createConsultation(token);
  const one = await stack.connect(flood.patientToken);
  const again = await stack.connect(flood.patientToken);
  const opens: string[] = [];
  for (let i = 0; i < RATE + 2; i++)
    opens.push((await code((i % 2 ? again : one).request('probe:open', { consultationId: flood.consultationId })))!);
  await expectRefused('past the rate', Promise.resolve({ ok: false, code: opens.at(-1) }), ErrorCode.RATE_LIMITED);
  expect(opens).toEqual([...Array(RATE).fill('ok'), ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
  // Two connections, one test each at most.
  expect(stack.node.status().probes).toBeLessThanOrEqual(probes + 2);
  expect(outcomes.filter(([, got, expected]) => got !== expected)).toEqual([]);
  for (const s of [doctor, patient, one, again, endedPatient, otherPatient] as TestClient[]) s.socket.close();
});
