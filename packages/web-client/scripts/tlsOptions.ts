import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';

/** TLS 1.3, and TLS 1.2 with forward secrecy (ECDHE) and AEAD ciphers only: no CBC, no SHA-1 MAC. */
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** A client has this long to finish its handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export function tlsOptions(files: { certFile: string; keyFile: string }): TlsOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    minVersion: 'TLSv1.2',
    ciphers: CIPHERS,
    honorCipherOrder: true,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
}
