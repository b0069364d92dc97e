import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a metrics registry offers (prom-client's Registry has both). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/**
 * Serves `GET /metrics` from `source` on an internal port (anything else is 404), bounded in time:
 * the one metrics endpoint of every Visita server process (server-only entry:
 * `@visita/protocol/metricsServer`). Resolves with the port it listens on.
 */
export async function serveMetrics(
  source: MetricsSource,
  port: number,
  host: string,
): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    source.metrics().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}
