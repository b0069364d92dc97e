// Practitioner bots for a surge: each logs in (REST), watches its waiting room (Socket.IO), admits
// the first patient present whenever it is free, keeps the call CALL_MS, then hangs up. What they
// saw is written as JSON on exit (SIGTERM/SIGINT): admissions (and those that waited for
// capacity), calls that ended otherwise than by a hang-up (dropped), errors.
//   node loadtests/doctors.ts   env: SURGE_API (signaling URL), SURGE_DOCTORS (emails, comma-
//   separated), SURGE_PASSWORD, SURGE_CALL_MS (12000), SURGE_DOCTORS_OUT (JSON file)
import { writeFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  type Ack,
  type ClientRequests,
  type ClientToServerEvents,
  type QueueView,
  type ServerToClientEvents,
} from '@visita/protocol';

const API = process.env['SURGE_API'] ?? 'http://127.0.0.1:4000';
const EMAILS = (process.env['SURGE_DOCTORS'] ?? '').split(',').filter(Boolean);
const PASSWORD = process.env['SURGE_PASSWORD'] ?? '';
const CALL_MS = Number(process.env['SURGE_CALL_MS'] ?? 12_000);
const OUT = process.env['SURGE_DOCTORS_OUT'];
if (EMAILS.length === 0 || !PASSWORD) {
  console.error('SURGE_DOCTORS and SURGE_PASSWORD are required');
  process.exit(2);
}

type Sock = Socket<ServerToClientEvents, ClientToServerEvents>;
const report = {
  admitted: 0,
  /** Admissions that found no node with room and waited; those whose consultation ended meanwhile. */
  delayed: 0,
  delayedEnded: 0,
  /** Calls that ended for another reason than the practitioner's hang-up (media lost, abandoned). */
  dropped: [] as Array<{ consultationId: string; reason: string }>,
  errors: [] as string[],
  /** Each admission: when admitted, and how long it waited for capacity (0: at once). */
  admissions: [] as Array<{ at: number; consultationId: string; capacityWaitMs: number }>,
};

async function request<K extends keyof ClientRequests>(
  s: Sock,
  name: K,
  payload: ClientRequests[K][0],
): Promise<ClientRequests[K][1]> {
  const ack = (await (s.timeout(20_000).emitWithAck as (n: string, p: unknown) => Promise<Ack<unknown>>)(
    name,
    payload,
  )) as Ack<ClientRequests[K][1]>;
  if (!ack.ok) throw new Error(`${name}: ${ack.code} ${ack.message}`);
  return ack.data;
}

/** REST login; signaling refuses too many password checks at once from one address (429): retried. */
async function login(email: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${API}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const body = (await res.json()) as { ok: boolean; data?: { token: string } };
    if (body.ok && body.data) return body.data.token;
    if (res.status !== 429 || attempt >= 10) throw new Error(`login ${email}: HTTP ${res.status}`);
    await new Promise((r) => setTimeout(r, 300 * attempt));
  }
}

async function doctor(email: string, stop: AbortSignal): Promise<void> {
  const token = await login(email);
  const s: Sock = io(API, { auth: { token, protocolVersion: PROTOCOL_VERSION }, transports: ['websocket'] });
  let queue: QueueView = await request(s, 'queue:watch', {});
  s.on('queue:updated', (q) => {
    queue = q;
  });
  const ended = new Map<string, (reason: string) => void>();
  s.on('consultation:ended', ({ consultationId, reason }) => ended.get(consultationId)?.(reason));
  const admittedNow = new Map<string, () => void>();
  s.on('consultation:admitted', ({ consultationId }) => admittedNow.get(consultationId)?.());
  while (!stop.aborted) {
    const next = queue.entries.find((e) => e.present);
    if (!next) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const id = next.consultationId;
    try {
      await request(s, 'consultation:join', { consultationId: id });
      const started = new Promise<void>((resolve) => admittedNow.set(id, resolve));
      const endedEarly = new Promise<string>((resolve) => ended.set(id, resolve));
      const view = await request(s, 'consultation:admit', { consultationId: id });
      const at = Date.now();
      if (view.state !== 'in_call') {
        report.delayed++;
        // Waits for a node with room (or the patient leaving: the admission goes with them).
        const outcome = await Promise.race([started.then(() => 'started'), endedEarly]);
        if (outcome !== 'started') {
          report.delayedEnded++;
          continue;
        }
      }
      report.admitted++;
      report.admissions.push({
        at,
        consultationId: id,
        capacityWaitMs: view.state === 'in_call' ? 0 : Date.now() - at,
      });
      const reason = await Promise.race([endedEarly, new Promise<null>((r) => setTimeout(() => r(null), CALL_MS))]);
      if (reason === null) await request(s, 'consultation:hangUp', { consultationId: id });
      else if (reason !== 'hung_up') report.dropped.push({ consultationId: id, reason });
    } catch (e) {
      // A patient who left between the queue update and the admit is not an error of the platform.
      const message = (e as Error).message;
      if (!message.includes('INVALID_STATE')) report.errors.push(message.slice(0, 200));
    } finally {
      admittedNow.delete(id);
      ended.delete(id);
    }
  }
  s.close();
}

const stop = new AbortController();
const bots = EMAILS.map((email) =>
  doctor(email, stop.signal).catch((e: Error) => void report.errors.push(`${email}: ${e.message}`)),
);
const finish = async () => {
  stop.abort();
  await Promise.race([Promise.all(bots), new Promise((r) => setTimeout(r, 3_000))]);
  if (OUT) writeFileSync(OUT, JSON.stringify(report, null, 2));
  process.exit(0);
};
process.on('SIGTERM', () => void finish());
process.on('SIGINT', () => void finish());
console.log(`doctors: ${EMAILS.length} bots admitting, calls of ${CALL_MS} ms`);
