import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** HKDF's info for the key that seals secrets at rest; fixed, so the same input key gives the same data key. */
export const DATA_KEY_INFO = 'visita/data-key/v1';
/** HKDF's info for the key of keyed hashes (recovery codes): another key from the same input. */
export const HASH_KEY_INFO = 'visita/hash-key/v1';
const VERSION = 'v1';

interface KeySource {
  /** VISITA_DATA_KEY, when set. */
  dataKey?: string | undefined;
  /** The JWT keys; the first one stands in for the data key when VISITA_DATA_KEY is absent. */
  jwtKeys: ReadonlyArray<{ kid: string; secret: string }>;
}

const derive = (ikm: string, info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, 'visita', info, 32));

/**
 * Seals small secrets (TOTP secrets) at rest with AES-256-GCM. The key comes from VISITA_DATA_KEY
 * through HKDF-SHA-256 (info `visita/data-key/v1`), or, without it, from the first JWT key the same
 * way. Each sealed value names its key (`v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url) and is bound
 * to `context` (the account id: a value copied to another account does not open), so values sealed
 * under a JWT key that is still listed, or before VISITA_DATA_KEY was set, still open. Changing
 * VISITA_DATA_KEY, or dropping the JWT key a value was sealed with, loses it (reset-2fa).
 */
export class SecretBox {
  readonly #current: string;
  readonly #keys: ReadonlyMap<string, { seal: Buffer; hash: Buffer }>;

  constructor(source: KeySource) {
    const first = source.jwtKeys[0];
    if (!source.dataKey && !first) throw new Error('SecretBox needs VISITA_DATA_KEY or a JWT key');
    const keys = new Map<string, { seal: Buffer; hash: Buffer }>();
    const add = (id: string, ikm: string) =>
      keys.set(id, { seal: derive(ikm, DATA_KEY_INFO), hash: derive(ikm, HASH_KEY_INFO) });
    if (source.dataKey) add('data', source.dataKey);
    for (const k of source.jwtKeys) add(`jwt-${k.kid}`, k.secret);
    this.#current = source.dataKey ? 'data' : `jwt-${first!.kid}`;
    this.#keys = keys;
  }

  /** A keyed hash (HMAC-SHA-256) of `message` under the current key, as `<key id>:<hex>`: a copy of the store alone cannot test guesses. */
  hash(message: string): string {
    return this.#hashWith(this.#current, message);
  }

  /** The hashes of `message` under every listed key (to find one made before a key change). */
  hashes(message: string): string[] {
    return [...this.#keys.keys()].map((id) => this.#hashWith(id, message));
  }

  #hashWith(id: string, message: string): string {
    return `${id}:${createHmac('sha256', this.#keys.get(id)!.hash).update(message).digest('hex')}`;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!.seal, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.#current,
      iv.toString('base64url'),
      body.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  /** The plaintext; throws if the value was altered, sealed for another context or with an unknown key. */
  open(sealed: string, context: string): string {
    const [version, keyId, iv, body, tag] = sealed.split('.');
    const key = keyId ? this.#keys.get(keyId)?.seal : undefined;
    if (version !== VERSION || !key || !iv || body === undefined || !tag)
      throw new Error('cannot open this sealed value');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
