import { startWebServer } from './webServer.ts';

// `pnpm --filter @visita/web-client serve`: the web client for `make start`. Configured by env:
// VISITA_SIGNALING_URL (required), VISITA_WEB_HOST (0.0.0.0), VISITA_WEB_PORT (8443; 0 picks a
// free port, printed in the ready line), VISITA_TLS_CERT + VISITA_TLS_KEY (HTTPS when both are
// set), VISITA_WEB_DIST (the built client, default this package's dist/);
// VISITA_WEB_HOSTS (names and addresses answered besides the defaults, comma-separated) and the
// host of VISITA_PUBLIC_URL; VISITA_WEB_CLIENT_CONNECTIONS, _REQUESTS, _POLLS (per client
// address: open connections, API requests and long-polls in flight; webServer.ts CLIENT_LIMITS).
const env = process.env;
const problems = ['VISITA_SIGNALING_URL'].filter((k) => !env[k]).map((k) => `missing ${k}`);
const count = (name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^[1-9]\d{0,5}$/.test(raw)) problems.push(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  return Number(raw);
};
const hosts = (env['VISITA_WEB_HOSTS'] ?? '')
  .split(',')
  .map((h) => h.trim())
  .filter(Boolean);
if (env['VISITA_PUBLIC_URL']) {
  try {
    hosts.push(new URL(env['VISITA_PUBLIC_URL']).hostname);
  } catch {
    problems.push('VISITA_PUBLIC_URL is not a URL');
  }
}
const clientLimits = {
  connections: count('VISITA_WEB_CLIENT_CONNECTIONS'),
  requests: count('VISITA_WEB_CLIENT_REQUESTS'),
  polls: count('VISITA_WEB_CLIENT_POLLS'),
};
if (problems.length) {
  console.error(`configuration: ${problems.join('; ')}`);
  process.exit(2);
}
const server = await startWebServer({
  host: env['VISITA_WEB_HOST'] ?? '0.0.0.0',
  port: Number(env['VISITA_WEB_PORT'] ?? 8443),
  signalingUrl: env['VISITA_SIGNALING_URL']!,
  ...(env['VISITA_TLS_CERT'] && env['VISITA_TLS_KEY']
    ? { tls: { certFile: env['VISITA_TLS_CERT'], keyFile: env['VISITA_TLS_KEY'] } }
    : {}),
  ...(env['VISITA_WEB_DIST'] ? { distDir: env['VISITA_WEB_DIST'] } : {}),
  hosts,
  clientLimits: Object.fromEntries(Object.entries(clientLimits).filter(([, v]) => v !== undefined)),
});
console.log(JSON.stringify({ service: 'web', msg: 'web client ready', url: server.url }));
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
