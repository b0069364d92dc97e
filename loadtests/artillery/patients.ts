// Artillery processor of patients.yml (Socket.IO patients). Self-contained (no imports): Artillery
// loads it on its own. Env: SURGE_API, SURGE_DOCTORS (emails), SURGE_PASSWORD.
type Next = (err?: Error) => void;
interface Context {
  vars: Record<string, unknown>;
  /** The engine's Socket.IO connections, by namespace ('' is the default one). */
  sockets?: Record<string, { on(event: string, fn: (payload: unknown) => void): void }>;
}
interface Events {
  emit(type: 'counter' | 'histogram', name: string, value: number): void;
}

const API = process.env['SURGE_API'] ?? 'http://127.0.0.1:4000';
const DOCTORS = (process.env['SURGE_DOCTORS'] ?? '').split(',').filter(Boolean);
const PASSWORD = process.env['SURGE_PASSWORD'] ?? '';
const tokens = new Map<string, Promise<string>>();
let turn = 0;

/** A POST; a 429 (signaling refuses too many password checks at once from one address) is retried. */
async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${API}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { ok: boolean; data?: Record<string, unknown>; error?: { code: string } };
    if (json.ok && json.data) return json.data;
    if (res.status !== 429 || attempt >= 10) throw new Error(`${path}: HTTP ${res.status} ${json.error?.code ?? ''}`);
    await new Promise((r) => setTimeout(r, 300 * attempt));
  }
}

/** A practitioner's access token, logged in once per run (REST login). */
function tokenOf(email: string): Promise<string> {
  let t = tokens.get(email);
  if (!t) {
    t = post('/api/login', { email, password: PASSWORD }).then((d) => String(d['token']));
    t.catch(() => tokens.delete(email));
    tokens.set(email, t);
  }
  return t;
}

/** Before the flow: a consultation with the next practitioner in turn (REST), its patient token. */
export function newConsultation(context: Context, events: Events, next: Next): void {
  const email = DOCTORS[turn++ % DOCTORS.length]!;
  tokenOf(email)
    .then((token) => post('/api/consultations', {}, token))
    .then((c) => {
      context.vars['consultationId'] = c['consultationId'];
      context.vars['patientToken'] = c['patientToken'];
      next();
    })
    .catch((e: Error) => {
      events.emit('counter', 'visita.consultation_create_failed', 1);
      next(e);
    });
}

export function markCheckIn(context: Context, _events: Events, next: Next): void {
  context.vars['checkInAt'] = Date.now();
  next();
}

/** After the check-in's acknowledgement matched ok: its latency. */
export function checkedIn(context: Context, events: Events, next: Next): void {
  events.emit('histogram', 'visita.checkin_ack_ms', Date.now() - Number(context.vars['checkInAt']));
  events.emit('counter', 'visita.checkins_ok', 1);
  next();
}

/**
 * After the connection: counts what the waiting room pushes to this patient — position updates
 * (each check-in gets at least one) and the admission.
 */
export function watchWaitingRoom(context: Context, events: Events, next: Next): void {
  const socket = context.sockets?.[''];
  if (!socket) return next(new Error('no Socket.IO connection to watch'));
  socket.on('waiting:position', () => events.emit('counter', 'visita.position_updates', 1));
  socket.on('consultation:admitted', () => events.emit('counter', 'visita.patients_admitted', 1));
  next();
}
