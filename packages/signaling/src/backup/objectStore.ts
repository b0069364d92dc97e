import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where backups are copied besides their directory: an S3-compatible object store (AWS S3, MinIO,
 * Scaleway, OVH...), addressed path-style: `VISITA_BACKUP_S3_URL` = `https://host[:port]/bucket[/prefix]`,
 * with `VISITA_BACKUP_S3_ACCESS_KEY_ID`, `VISITA_BACKUP_S3_SECRET_ACCESS_KEY` and
 * `VISITA_BACKUP_S3_REGION` (default us-east-1). Requests are signed with AWS Signature Version 4;
 * bodies are not hashed (UNSIGNED-PAYLOAD: the files are sealed, and HTTPS carries them).
 */
export interface ObjectStoreConfig {
  url: URL;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function objectStoreFromEnv(env: NodeJS.ProcessEnv): ObjectStoreConfig | null {
  const raw = env['VISITA_BACKUP_S3_URL'];
  if (!raw) return null;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol) || new URL(raw).pathname.length < 2)
    throw new Error('VISITA_BACKUP_S3_URL must be https://host/bucket[/prefix]');
  const accessKeyId = env['VISITA_BACKUP_S3_ACCESS_KEY_ID'];
  const secretAccessKey = env['VISITA_BACKUP_S3_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey)
    throw new Error(
      'VISITA_BACKUP_S3_ACCESS_KEY_ID and VISITA_BACKUP_S3_SECRET_ACCESS_KEY go with VISITA_BACKUP_S3_URL',
    );
  return {
    url: new URL(raw.replace(/\/+$/, '')),
    region: env['VISITA_BACKUP_S3_REGION'] ?? 'us-east-1',
    accessKeyId,
    secretAccessKey,
  };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
/** RFC 3986 encoding, as Signature Version 4 wants it. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** A path: each segment encoded, the slashes kept. */
const encodePath = (path: string) => path.split('/').map(encode).join('/');

export class ObjectStore {
  readonly #c: ObjectStoreConfig;
  readonly #bucketPath: string;
  readonly #prefix: string;

  constructor(config: ObjectStoreConfig) {
    this.#c = config;
    const [bucket, ...rest] = config.url.pathname.slice(1).split('/');
    this.#bucketPath = `/${bucket}`;
    this.#prefix = rest.filter(Boolean).join('/');
  }

  /** Where an object lives, for messages (no credentials in it). */
  where(name: string): string {
    return `${this.#c.url.origin}${this.#bucketPath}/${this.#key(name)}`;
  }

  async put(name: string, file: string): Promise<void> {
    const size = statSync(file).size;
    const res = await this.#request(
      'PUT',
      `${this.#bucketPath}/${this.#key(name)}`,
      {},
      {
        body: Readable.toWeb(createReadStream(file)) as unknown as BodyInit,
        length: size,
      },
    );
    if (!res.ok)
      throw new Error(`the object store refused ${this.where(name)}: HTTP ${res.status} ${await res.text()}`);
  }

  async get(name: string, file: string): Promise<void> {
    const res = await this.#request('GET', `${this.#bucketPath}/${this.#key(name)}`);
    if (!res.ok || !res.body) throw new Error(`no ${this.where(name)} in the object store: HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file, { mode: 0o600 }));
  }

  async delete(name: string): Promise<void> {
    const res = await this.#request('DELETE', `${this.#bucketPath}/${this.#key(name)}`);
    if (!res.ok && res.status !== 404) throw new Error(`could not delete ${this.where(name)}: HTTP ${res.status}`);
  }

  /** The names under the prefix (one page: up to 1,000, enough for backups kept by --keep). */
  async list(): Promise<string[]> {
    const query: Record<string, string> = { 'list-type': '2', 'max-keys': '1000' };
    if (this.#prefix) query['prefix'] = `${this.#prefix}/`;
    const res = await this.#request('GET', this.#bucketPath, query);
    if (!res.ok) throw new Error(`could not list ${this.where('')}: HTTP ${res.status}`);
    const xml = await res.text();
    return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) =>
      m[1]!.slice(this.#prefix ? this.#prefix.length + 1 : 0),
    );
  }

  /** Makes the bucket (for a store started empty: tests, a first deployment). */
  async createBucket(): Promise<void> {
    const body =
      this.#c.region === 'us-east-1'
        ? undefined
        : `<CreateBucketConfiguration><LocationConstraint>${this.#c.region}</LocationConstraint></CreateBucketConfiguration>`;
    const res = await this.#request(
      'PUT',
      this.#bucketPath,
      {},
      body === undefined ? undefined : { body, length: Buffer.byteLength(body) },
    );
    if (!res.ok && res.status !== 409)
      throw new Error(`could not create the bucket: HTTP ${res.status} ${await res.text()}`);
  }

  #key(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw new Error(`not a backup name: ${name}`);
    return this.#prefix ? `${this.#prefix}/${name}` : name;
  }

  async #request(
    method: string,
    path: string,
    query: Record<string, string> = {},
    payload?: { body: BodyInit; length: number },
  ): Promise<Response> {
    const headers: Record<string, string> = {
      host: this.#c.url.host,
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
      ...(payload ? { 'content-length': String(payload.length) } : {}),
    };
    const { region, accessKeyId, secretAccessKey } = this.#c;
    const authorization = signV4({ method, path, query, headers, region, accessKeyId, secretAccessKey });
    const { host: _host, ...sent } = headers;
    const search = canonicalQuery(query);
    return fetch(`${this.#c.url.origin}${encodePath(path)}${search ? `?${search}` : ''}`, {
      method,
      headers: { ...sent, authorization },
      ...(payload ? { body: payload.body, duplex: 'half' } : {}),
      signal: AbortSignal.timeout(10 * 60_000),
    } as RequestInit);
  }
}

const canonicalQuery = (query: Record<string, string>): string =>
  Object.keys(query)
    .sort()
    .map((k) => `${encode(k)}=${encode(query[k]!)}`)
    .join('&');

/**
 * The Authorization header of an S3 request, AWS Signature Version 4: `headers` are every header
 * signed (host and x-amz-date among them; x-amz-content-sha256 is the payload's hash, or
 * UNSIGNED-PAYLOAD). Pure; checked against AWS's published example.
 */
export function signV4(r: {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}): string {
  const amzDate = r.headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const names = Object.keys(r.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const value = (n: string) =>
    Object.entries(r.headers)
      .find(([k]) => k.toLowerCase() === n)![1]
      .trim();
  const canonical = [
    r.method,
    encodePath(r.path),
    canonicalQuery(r.query),
    names.map((n) => `${n}:${value(n)}\n`).join(''),
    names.join(';'),
    value('x-amz-content-sha256'),
  ].join('\n');
  const scope = `${day}/${r.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${r.secretAccessKey}`, day);
  for (const part of [r.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${r.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}
