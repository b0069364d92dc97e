// The device tokens this browser was given at login, one per email (localStorage): sent with the
// next logins of that email, their attempts count against this device's own limits, so strangers
// guessing the account cannot lock its owner out here. Not a credential: the password and the
// code are still needed.
const KEY = 'visita.devices';
/** At most this many emails are remembered (the oldest forgotten first). */
const MAX_EMAILS = 5;

function read(): Array<[string, string]> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((e): e is [string, string] => Array.isArray(e) && e.length === 2) : [];
  } catch {
    return [];
  }
}

export function deviceTokenFor(email: string): string | undefined {
  const e = email.trim().toLowerCase();
  return read().find(([k]) => k === e)?.[1];
}

export function rememberDevice(email: string, token: string | undefined): void {
  if (!token) return;
  const e = email.trim().toLowerCase();
  const kept = read().filter(([k]) => k !== e);
  try {
    localStorage.setItem(KEY, JSON.stringify([[e, token], ...kept].slice(0, MAX_EMAILS)));
  } catch {
    // Storage refused (private mode, full): logins simply share the address's limits.
  }
}
