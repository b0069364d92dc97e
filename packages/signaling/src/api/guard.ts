import type { Server as HttpServer } from 'node:http';
import type { Logger } from '../logger.ts';

/** How long a client may take to send its headers, and its whole request. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections are closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const MAX_HEADERS = 64;

/**
 * Bounds what one HTTP client can hold of the server (slow headers, slow bodies, idle sockets,
 * header floods) and answers a malformed request with 400 instead of an unhandled error.
 */
export function guardHttpServer(http: HttpServer, log: Logger): void {
  http.headersTimeout = HEADERS_TIMEOUT_MS;
  http.requestTimeout = REQUEST_TIMEOUT_MS;
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  http.maxHeadersCount = MAX_HEADERS;
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log.debug({ err: err.code ?? err.message }, 'malformed http request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
}
