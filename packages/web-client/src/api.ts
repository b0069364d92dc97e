import type { Ack, ConsultationView } from '@visita/protocol';
import { RequestError } from './signaling.ts';

async function call<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  let body: Ack<T>;
  try {
    const res = await fetch(path, { ...init, headers });
    body = (await res.json()) as Ack<T>;
  } catch {
    throw new RequestError('TIMEOUT', 'network error');
  }
  if (!body.ok) throw new RequestError(body.code, body.message);
  return body.data;
}

export const api = {
  login: (email: string, password: string) =>
    call<{ token: string; practitioner: { id: string; name: string } }>('/api/login', { method: 'POST', body: JSON.stringify({ email, password }) }),
  createConsultation: (token: string) =>
    call<{ consultationId: string; patientLink: string }>('/api/consultations', { method: 'POST', token }),
  consultations: (token: string) => call<{ consultations: ConsultationView[] }>('/api/consultations', { token }),
};
