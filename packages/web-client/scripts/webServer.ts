import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, preview } from 'vite';

const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface WebServerOptions {
  host: string;
  port: number;
  /** Where /socket.io and /api are proxied (the signaling instance), e.g. http://127.0.0.1:4000. */
  signalingUrl: string;
  tls?: { certFile: string; keyFile: string };
}

/**
 * Serves the built web client (dist/) and proxies Socket.IO and the API to signaling, so the
 * browser talks to one origin with one certificate (a phone accepts one self-signed warning).
 */
export async function startWebServer(o: WebServerOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const target = o.signalingUrl;
  const server = await preview({
    root: webRoot,
    configFile: false,
    logLevel: 'warn',
    customLogger: quietLogger(),
    preview: {
      host: o.host,
      port: o.port,
      strictPort: true,
      ...(o.tls ? { https: { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) } } : {}),
      proxy: {
        '/socket.io': { target, ws: true, changeOrigin: false },
        '/api': { target },
        '/healthz': { target },
      },
    },
  });
  const port = (server.httpServer.address() as AddressInfo).port;
  const scheme = o.tls ? 'https' : 'http';
  return {
    url: `${scheme}://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`,
    close: () => server.close(),
  };
}

/** Vite's logger without the "ws proxy" resets a browser causes each time it leaves a page. */
function quietLogger() {
  const logger = createLogger('warn');
  const error = logger.error.bind(logger);
  logger.error = (msg, opts) => {
    if (/ws proxy (socket )?error/.test(msg) && /ECONNRESET|EPIPE/.test(String(opts?.error ?? msg))) return;
    error(msg, opts);
  };
  return logger;
}
