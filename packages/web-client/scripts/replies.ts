import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AckErr } from '@visita/protocol';

// Answers the web server writes itself, in the API's error shape (`{ ok: false, code, message }`).

export function sendJson(res: ServerResponse, status: number, body: AckErr, headers: OutgoingHttpHeaders = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

/** An answer on a raw socket (an upgrade request, no ServerResponse): written, then the socket is released. */
export function sendRawJson(socket: Duplex, status: number, body: AckErr, headers: OutgoingHttpHeaders): void {
  if (!socket.writable) return void socket.destroy();
  const json = JSON.stringify(body);
  const head = responseHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    connection: 'close',
  });
  socket.end(head + json, () => socket.destroy());
}

/** Status line and header lines of an HTTP/1.1 response, up to and including the blank line. */
export function responseHead(status: number, headers: OutgoingHttpHeaders): string {
  const lines = Object.entries(headers).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`),
  );
  return [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...lines, '', ''].join('\r\n');
}
