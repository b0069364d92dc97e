import type { Ack, ConsultationView } from '@visita/protocol';
import { loadSession, refreshSession } from './session.ts';
import { RequestError } from './signaling.ts';

async function call<T>(path: string, init: RequestInit & { auth?: boolean } = {}, retried = false): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.auth) headers['authorization'] = `Bearer ${loadSession()?.token ?? ''}`;
  let body: Ack<T>;
  try {
    const res = await fetch(path, { ...init, headers });
    body = (await res.json()) as Ack<T>;
  } catch {
    throw new RequestError('TIMEOUT', 'network error');
  }
  if (!body.ok && body.code === 'UNAUTHENTICATED' && init.auth && !retried && (await refreshSession())) {
    return call(path, init, true);
  }
  if (!body.ok) throw new RequestError(body.code, body.message);
  return body.data;
}

export const api = {
  login: (email: string, password: string) =>
    call<{ token: string; refreshToken: string; practitioner: { id: string; name: string; role: 'practitioner' | 'ops' } }>('/api/login', {
      method: 'POST',
      body: JSON.stringify({ email, password }),
    }),
  logout: (refreshToken: string) => call<{ loggedOut: true }>('/api/logout', { method: 'POST', body: JSON.stringify({ refreshToken }) }),
  createConsultation: () => call<{ consultationId: string; patientLink: string }>('/api/consultations', { method: 'POST', auth: true }),
  consultations: () => call<{ consultations: ConsultationView[] }>('/api/consultations', { auth: true }),
};
