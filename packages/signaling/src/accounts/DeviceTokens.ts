import { randomBytes } from 'node:crypto';
import type { KeyedHash } from '../store/RedisAccountStore.ts';

/** How long a device stays remembered after a login on it (each login gives a new token). */
export const DEVICE_TOKEN_TTL_S = 90 * 24 * 3600;

const text = (email: string, id: string, expiresAt: number): string =>
  `visita/device/v1\n${JSON.stringify([email.toLowerCase(), id, expiresAt])}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const unb64 = (s: string): string => Buffer.from(s, 'base64url').toString();

/**
 * Devices an account's owner logged in on (password and, when enabled, second factor). The token
 * is given with the session and kept by the browser; a login presenting it for its email counts
 * against that device's own limits, not the address's or the account's, so strangers exhausting
 * those cannot lock the owner out (OWASP's "device cookies"). It grants nothing else: the
 * password and the code are still checked. Stateless: `<id>.<expiry s>.<keyed hash>`, bound to the
 * email; a stolen one gives its thief one device's budget of guesses, no more.
 */
export class DeviceTokens {
  readonly #keyed: KeyedHash;
  readonly #now: () => number;

  constructor(keyed: KeyedHash, now: () => number = Date.now) {
    this.#keyed = keyed;
    this.#now = now;
  }

  issue(email: string): string {
    const id = randomBytes(16).toString('base64url');
    const expiresAt = Math.floor(this.#now() / 1000) + DEVICE_TOKEN_TTL_S;
    return `${id}.${expiresAt}.${b64(this.#keyed.hash(text(email, id, expiresAt)))}`;
  }

  /** The device's id if `token` was issued for `email` and has not expired; null otherwise. */
  verify(token: string | undefined, email: string): string | null {
    const [id, exp, mac, ...rest] = token?.split('.') ?? [];
    if (!id || !exp || !mac || rest.length > 0 || !/^\d{1,12}$/.test(exp)) return null;
    const expiresAt = Number(exp);
    if (expiresAt * 1000 <= this.#now()) return null;
    return this.#keyed.hashes(text(email, id, expiresAt)).includes(unb64(mac)) ? id : null;
  }
}
