import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

// The built client, read once at start-up: only regular files found under dist/ then can ever be
// answered (no path reaches the file system at request time), never a dotfile or a source map.
// Text files are compressed once then too (brotli and gzip): a patient on 4G downloads a third.

export type Encoding = 'br' | 'gzip';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  /** The same bytes compressed, when that is smaller. */
  encoded: Partial<Record<Encoding, Buffer>>;
}

/** URL path (`/assets/index-abc.js`) → file. */
export type StaticFiles = ReadonlyMap<string, StaticFile>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names everything under /assets/ by content hash: a name never changes content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function loadStaticFiles(distDir: string): StaticFiles {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, urlPath: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name.endsWith('.map')) continue;
      const path = `${urlPath}/${entry.name}`;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else if (entry.isFile()) files.set(path, readStaticFile(join(dir, entry.name), path));
    }
  };
  walk(distDir, '');
  if (!files.has('/index.html'))
    throw new Error(`${distDir} has no index.html: build the client first (pnpm --filter @visita/web-client build)`);
  return files;
}

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.webmanifest', '.svg', '.txt']);

function readStaticFile(file: string, urlPath: string): StaticFile {
  const cacheControl = urlPath.startsWith('/assets/') ? IMMUTABLE : urlPath === '/index.html' ? 'no-store' : 'no-cache';
  const body = readFileSync(file);
  const encoded: StaticFile['encoded'] = {};
  if (COMPRESSIBLE.has(extname(file))) {
    const br = brotliCompressSync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    const gz = gzipSync(body, { level: 9 });
    if (br.length < body.length) encoded.br = br;
    if (gz.length < body.length) encoded.gzip = gz;
  }
  return { body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', cacheControl, encoded };
}

/**
 * The encoding to answer with, from the request's Accept-Encoding: brotli, else gzip, when the
 * client accepts it (a q of 0 refuses; `*` accepts both); null for the bytes as they are.
 */
export function pickEncoding(acceptEncoding: string | undefined, available: readonly Encoding[]): Encoding | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',').slice(0, 32)) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepts = (e: Encoding) => (q.get(e) ?? q.get('*') ?? 0) > 0;
  for (const e of ['br', 'gzip'] as const) if (available.includes(e) && accepts(e)) return e;
  return null;
}

/**
 * The file at `path` (decoded, normalised by routeRequest), or the app's index.html for an app
 * route (`/`, `/c/<id>`, any path without an extension); null when there is nothing to serve.
 */
export function lookupStaticFile(files: StaticFiles, path: string): StaticFile | null {
  const segments = path.split('/');
  if (segments.some((s) => s.startsWith('.')) || path.endsWith('.map')) return null;
  const file = files.get(path);
  if (file) return file;
  return segments.at(-1)!.includes('.') ? null : files.get('/index.html')!;
}

/** Answers a GET or HEAD for the built client; 405 for any other method, 404 when nothing matches. */
export function serveStatic(files: StaticFiles, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const file = lookupStaticFile(files, path);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('not found\n');
    return;
  }
  const available = Object.keys(file.encoded) as Encoding[];
  const encoding = pickEncoding(req.headers['accept-encoding'], available);
  const body = encoding ? file.encoded[encoding]! : file.body;
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': body.length,
    'cache-control': file.cacheControl,
    ...(encoding ? { 'content-encoding': encoding } : {}),
    ...(available.length > 0 ? { vary: 'accept-encoding' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
