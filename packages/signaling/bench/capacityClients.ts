import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@visita/protocol';

// One client process of the capacity benchmark: holds many waiting patients' sockets, and measures,
// for each admit round, the time from the admit to the position update each of its sockets gets.
// Talks to the driver over IPC: { type: 'connect', url, patients } -> 'ready';
// { type: 'arm', round, t0, expected } -> 'armed' then 'latencies'.
interface Patient {
  consultationId: string;
  patientToken: string;
}
type Msg =
  | { type: 'connect'; url: string; patients: Patient[] }
  | { type: 'arm'; round: number; t0: number; skip: string[] }
  | { type: 'stop' };

const sockets = new Map<string, Socket>();
let round: { n: number; t0: number; pending: Set<string>; latencies: number[]; timer: NodeJS.Timeout } | null = null;
const send = (m: unknown) => process.send?.(m);

function finish(): void {
  if (!round) return;
  clearTimeout(round.timer);
  send({ type: 'latencies', round: round.n, latencies: round.latencies, missing: round.pending.size });
  round = null;
}

async function connectAll(url: string, patients: Patient[]): Promise<void> {
  const CONCURRENCY = 50;
  let next = 0;
  const one = async (p: Patient) => {
    const socket = io(url, {
      transports: ['websocket'],
      auth: { token: p.patientToken, protocolVersion: PROTOCOL_VERSION },
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    socket.on('waiting:position', () => {
      if (!round?.pending.has(p.consultationId)) return;
      round.pending.delete(p.consultationId);
      round.latencies.push(Date.now() - round.t0);
      if (round.pending.size === 0) finish();
    });
    const ack = await socket
      .timeout(30_000)
      .emitWithAck('consultation:join', { consultationId: p.consultationId, displayName: 'Bench' });
    if (!ack.ok) throw new Error(`join failed: ${ack.code}`);
    sockets.set(p.consultationId, socket);
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < patients.length) await one(patients[next++]!);
    }),
  );
}

process.on('message', (m: Msg) => {
  if (m.type === 'connect') {
    connectAll(m.url, m.patients).then(
      () => send({ type: 'ready', sockets: sockets.size }),
      (e: Error & { description?: { message?: string; code?: string } }) =>
        send({ type: 'error', message: `${e.message}${e.description?.message ? `: ${e.description.message}` : ''}` }),
    );
  } else if (m.type === 'arm') {
    const pending = new Set([...sockets.keys()].filter((id) => !m.skip.includes(id)));
    round = { n: m.round, t0: m.t0, pending, latencies: [], timer: setTimeout(finish, 60_000) };
    send({ type: 'armed' });
    if (pending.size === 0) finish();
  } else if (m.type === 'stop') {
    for (const s of sockets.values()) s.close();
    process.exit(0);
  }
});
