import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// coturn (Debian's turnserver) for a test: the TURN REST shared-secret scheme signaling uses,
// listening and relaying on one address, no TLS, no CLI, its log kept for the test to read.

export class TurnServer {
  readonly secret = randomBytes(24).toString('hex');
  readonly #dir: string;
  #child: ChildProcess | null = null;

  readonly host: string;
  readonly port: number;

  private constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.#dir = mkdtempSync(join(tmpdir(), 'visita-turn-'));
  }

  static async start(host: string, port = 3478): Promise<TurnServer> {
    const turn = new TurnServer(host, port);
    const child = spawn(
      process.env['TURNSERVER_PATH'] ?? 'turnserver',
      [
        '-n', // no configuration file: everything is here
        `--listening-ip=${host}`,
        `--listening-port=${port}`,
        `--relay-ip=${host}`,
        '--min-port=49160',
        '--max-port=49260',
        '--use-auth-secret',
        `--static-auth-secret=${turn.secret}`,
        '--realm=visita',
        '--fingerprint',
        '--no-cli',
        '--no-tls',
        '--no-dtls',
        '--no-multicast-peers',
        `--log-file=${join(turn.#dir, 'turn.log')}`,
        '--simple-log',
        '--verbose', // sessions and their users in the log (the test reads them)
        `--userdb=${join(turn.#dir, 'turndb')}`,
        '--no-stdout-log',
        `--pidfile=${join(turn.#dir, 'turn.pid')}`,
      ],
      { stdio: 'ignore' },
    );
    turn.#child = child;
    const deadline = Date.now() + 10_000;
    while (!(await reachable(host, port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await turn.stop();
        throw new Error(`turnserver did not start (exit ${child.exitCode}): ${turn.log().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return turn;
  }

  /** The signaling configuration that hands this server to browsers. */
  env(policy: 'all' | 'relay'): Record<string, string> {
    return {
      VISITA_TURN_URLS: `turn:${this.host}:${this.port}?transport=udp,turn:${this.host}:${this.port}?transport=tcp`,
      VISITA_TURN_SECRET: this.secret,
      VISITA_ICE_TRANSPORT_POLICY: policy,
    };
  }

  log(): string {
    try {
      return readFileSync(join(this.#dir, 'turn.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
