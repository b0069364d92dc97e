import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// coturn for a test, as `make start` runs it: scripts/coturn.sh with Visita's policy
// (infra/coturn/turnserver.conf: the TURN REST shared-secret scheme signaling uses, only the SFU as
// a peer, no TCP relaying, the quotas), listening and relaying on one address, its log kept for the
// test to read.

const COTURN_SH = join(dirname(fileURLToPath(import.meta.url)), '../../../../scripts/coturn.sh');

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

  /**
   * `peers`: the SFU nodes' announced media addresses (comma-separated), `host` by default;
   * `relayPorts`: its relay port range (the total quota is 90 % of it).
   */
  static async start(
    host: string,
    port = 3478,
    opts: { peers?: string; relayPorts?: [number, number] } = {},
  ): Promise<TurnServer> {
    const [minPort, maxPort] = opts.relayPorts ?? [49160, 49260];
    const turn = new TurnServer(host, port);
    writeFileSync(join(turn.#dir, 'secret'), `${turn.secret}\n`, { mode: 0o600 });
    const child = spawn(
      COTURN_SH,
      ['--verbose'], // sessions and their users in the log (the test reads them)
      {
        stdio: 'ignore',
        env: {
          ...process.env,
          VISITA_TURN_IP: host,
          VISITA_TURN_PORT: String(port),
          VISITA_TURN_MIN_PORT: String(minPort),
          VISITA_TURN_MAX_PORT: String(maxPort),
          VISITA_TURN_PEERS: opts.peers ?? host,
          VISITA_TURN_SECRET_FILE: join(turn.#dir, 'secret'),
          VISITA_TURN_DIR: join(turn.#dir, 'run'),
          VISITA_TURN_LOG: join(turn.#dir, 'turn.log'),
        },
      },
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
