import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'serve.ts');

/** The web server as `make start` runs it: `node scripts/serve.ts`, a real child process, on 127.0.0.1 and a free port. */
export class WebProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line it printed (stdout and stderr). */
  readonly output: string[];

  private constructor(child: ChildProcess, url: string, output: string[]) {
    this.child = child;
    this.url = url;
    this.output = output;
  }

  static async start(env: Record<string, string>): Promise<WebProcess> {
    const child = spawn(process.execPath, [SERVE], {
      env: {
        ...process.env,
        VISITA_TLS_CERT: '',
        VISITA_TLS_KEY: '',
        VISITA_WEB_HOST: '127.0.0.1',
        VISITA_WEB_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`the web server did not start (${why}):\n${output.join('\n')}`));
      const timer = setTimeout(() => fail('timeout'), 10_000);
      child.once('exit', (code) => fail(`exit ${code}`));
      createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output.push(line);
        const ready = parse(line);
        if (ready?.['msg'] === 'web client ready' && typeof ready['url'] === 'string') {
          clearTimeout(timer);
          resolve(ready['url']);
        }
      });
    });
    return new WebProcess(child, url, output);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How many file descriptors the process has open. */
  openDescriptors(): number {
    return readdirSync(`/proc/${this.child.pid}/fd`).length;
  }

  /** Its JSON log lines. */
  logLines(): Record<string, unknown>[] {
    return this.output.map(parse).filter((l): l is Record<string, unknown> => l !== null);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

function parse(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Over HTTPS, accepting the self-signed certificate. */
  tls?: boolean;
  /** The client's address (any of 127/8 in the tests' namespace; default 127.0.0.1). */
  from?: string;
}

/** One request with `target` sent exactly as given (no URL normalisation, unlike fetch), on its own connection. */
export function send(port: number, target: string, o: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path: target,
      method: o.method ?? 'GET',
      headers: o.headers ?? {},
      agent: false as const,
      ...(o.from ? { localAddress: o.from } : {}),
    };
    const req = o.tls ? httpsRequest({ ...options, rejectUnauthorized: false }) : request(options);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Polls `check` until it holds or `timeoutMs` passed; returns its last result. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
