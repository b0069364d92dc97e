import type {
  Ack,
  AuditList,
  OpsStatus,
  ConsultationList,
  CreatedConsultation,
  LoggedOut,
  LoginResponse,
  PatientLinkStatus,
  SessionGrant,
  TwoFactorEnabled,
  TwoFactorSetup,
  TwoFactorStatus,
  UsageReport,
} from '@visita/protocol';
import { loadSession, refreshSession } from './session.ts';
import { deviceTokenFor, rememberDevice } from './deviceTokens.ts';
import { VisitaError as RequestError, unwrap } from '@visita/protocol/browser';

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
  return unwrap(body);
}

/** A file download that needs the bearer token (CSV and meter-event exports). */
async function download(path: string, filename: string): Promise<void> {
  let res = await fetch(path, { headers: { authorization: `Bearer ${loadSession()?.token ?? ''}` } });
  if (res.status === 401 && (await refreshSession()))
    res = await fetch(path, { headers: { authorization: `Bearer ${loadSession()?.token ?? ''}` } });
  if (!res.ok) throw new RequestError('INTERNAL', `download failed (${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  a.click();
  URL.revokeObjectURL(url);
}

/** The email of the login in progress (its second step sends that email's device token). */
let lastEmail = '';

export const api = {
  usage: (period: string) => call<UsageReport>(`/api/usage?period=${period}`, { auth: true }),
  downloadUsage: (period: string, format: 'csv' | 'meter-events') =>
    download(
      `/api/usage?period=${period}&format=${format}`,
      format === 'csv' ? `visita-usage-${period}.csv` : `visita-meter-events-${period}.jsonl`,
    ),
  /** A login, with this device's token for the email if it has one (its own limits); the new one is kept. */
  login: async (email: string, password: string) => {
    lastEmail = email;
    const deviceToken = deviceTokenFor(email);
    const r = await call<LoginResponse>('/api/login', {
      method: 'POST',
      body: JSON.stringify({ email, password, ...(deviceToken ? { deviceToken } : {}) }),
    });
    if ('deviceToken' in r) rememberDevice(email, r.deviceToken);
    return r;
  },
  /** The second step of a login: a code of the authenticator app, or a recovery code. */
  loginSecondStep: async (challenge: string, code: string) => {
    const deviceToken = deviceTokenFor(lastEmail);
    const r = await call<SessionGrant>('/api/login/2fa', {
      method: 'POST',
      body: JSON.stringify({ challenge, code, ...(deviceToken ? { deviceToken } : {}) }),
    });
    rememberDevice(lastEmail, r.deviceToken);
    return r;
  },
  twoFactorStatus: () => call<TwoFactorStatus>('/api/2fa', { auth: true }),
  twoFactorSetup: () => call<TwoFactorSetup>('/api/2fa/setup', { method: 'POST', auth: true }),
  twoFactorEnable: (code: string) =>
    call<TwoFactorEnabled>('/api/2fa/enable', { method: 'POST', auth: true, body: JSON.stringify({ code }) }),
  twoFactorDisable: (code: string) =>
    call<TwoFactorStatus>('/api/2fa/disable', { method: 'POST', auth: true, body: JSON.stringify({ code }) }),
  logout: (refreshToken: string) =>
    call<LoggedOut>('/api/logout', { method: 'POST', body: JSON.stringify({ refreshToken }) }),
  opsStatus: () => call<OpsStatus>('/api/ops/status', { auth: true }),
  audit: () => call<AuditList>('/api/audit', { auth: true }),
  downloadAudit: (format: 'json' | 'csv') => download(`/api/audit?format=${format}`, `visita-audit.${format}`),
  createConsultation: () => call<CreatedConsultation>('/api/consultations', { method: 'POST', auth: true }),
  consultations: () => call<ConsultationList>('/api/consultations', { auth: true }),
};

/**
 * Whether the patient's link still opens its consultation. A failed check (network) answers
 * `open`: the check-in then says what is wrong, the patient is never stopped by the check itself.
 */
export async function patientLinkStatus(token: string, consultationId: string): Promise<PatientLinkStatus['status']> {
  try {
    const res = await fetch('/api/link', { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Ack<PatientLinkStatus>;
    if (!body.ok) return 'open';
    // A token for another consultation than the link's path (a link cut or pasted together) is no
    // working link: said now, not after the camera was asked for.
    if (body.data.status === 'open' && body.data.consultationId !== consultationId) return 'invalid';
    return body.data.status;
  } catch {
    return 'open';
  }
}
