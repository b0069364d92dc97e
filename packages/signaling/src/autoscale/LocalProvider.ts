import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { SfuNodeRecord } from '@visita/protocol';
import type { Logger } from '../logger.ts';
import type { NodeProvider, StartingNode } from './Autoscaler.ts';

export interface LocalProviderOptions {
  /** The SFU node's entry point (packages/sfu/src/main.ts). */
  sfuMain: string;
  /** Environment every node gets (secret, Redis URL, addresses, workers, capacity...). */
  env: Record<string, string>;
  /** Slot i takes control port controlPortBase+i, metrics port metricsPortBase+i, RTC ports from rtcPortBase+i*rtcPortsPerNode. */
  controlPortBase: number;
  metricsPortBase: number;
  rtcPortBase: number;
  rtcPortsPerNode: number;
  /** How many nodes at most at once (slots). */
  slots: number;
  idPrefix: string;
  /** Each node's output goes to <logDir>/<nodeId>.log (none: discarded). */
  logDir?: string;
  /** A Prometheus file_sd target list of the nodes' metrics ports, kept up to date (none: not written). */
  sdFile?: string;
  /** Assumed start-up time until one is measured, ms. */
  defaultStartupMs?: number;
  /** Each measured start-up time, ms (metrics). */
  startupObserved?: (ms: number) => void;
  /** The wait before a start after unexpected exits: min, doubling per exit, up to max (default 1 s, 60 s). */
  respawnBackoff?: { minMs: number; maxMs: number };
  log: Logger;
}

/**
 * How long to wait before starting a node after `exits` unexpected exits in a row (none since a
 * node last served): `minMs`, doubled for each further one, at most `maxMs`. Pure.
 */
export function respawnDelayMs(exits: number, minMs: number, maxMs: number): number {
  if (exits <= 0) return 0;
  return Math.min(maxMs, minMs * 2 ** Math.min(exits - 1, 30));
}

/** Whether something answers on 127.0.0.1:port (a node an earlier autoscaler left, still draining). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface LocalNode {
  nodeId: string;
  slot: number;
  proc: ChildProcess;
  since: number;
  servedAt: number | null;
  draining: boolean;
}

/**
 * SFU nodes as processes on this machine (`make start` with VISITA_AUTOSCALE=1, `make surge`):
 * a scale-out spawns nodes in free slots (their own ports), a drain sends SIGTERM (the node
 * finishes its calls, moves what is left at its drain limit, and exits 0). Only nodes it started
 * are drained. Start-up times are measured (spawn → first serving record).
 *
 * If the autoscaler process dies (killed, crashed), its nodes get SIGTERM (setpriv --pdeathsig)
 * and drain: their calls go on. The autoscaler restarted in its place leaves their slots alone
 * while they are in use (their control port answers) and starts the nodes it needs in free ones.
 */
export class LocalProvider implements NodeProvider {
  readonly name = 'local';
  readonly #o: LocalProviderOptions;
  readonly #nodes = new Map<string, LocalNode>();
  readonly #startups: number[] = [];
  #seq = 0;
  #closing = false;
  /** Unexpected exits since a node last served, and when a node may be started again. */
  #exits = 0;
  #nextStartAt = 0;

  constructor(options: LocalProviderOptions) {
    this.#o = options;
    this.#writeTargets();
  }

  /** The nodes it runs (started, serving or draining). */
  get nodeIds(): string[] {
    return [...this.#nodes.keys()];
  }

  starting(): StartingNode[] {
    return [...this.#nodes.values()]
      .filter((n) => n.servedAt === null && !n.draining)
      .map((n) => ({ nodeId: n.nodeId, since: n.since }));
  }

  startupMs(): number {
    if (this.#startups.length === 0) return this.#o.defaultStartupMs ?? 5_000;
    const sorted = [...this.#startups].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  /** The measured start-up times, ms (the last 20). */
  get startups(): readonly number[] {
    return this.#startups;
  }

  observe(records: readonly SfuNodeRecord[], now: number): void {
    for (const r of records) {
      const n = this.#nodes.get(r.nodeId);
      if (!n || n.servedAt !== null || r.state !== 'serving') continue;
      n.servedAt = now;
      this.#exits = 0; // a node that serves: the nodes can start, whatever happened before
      this.#startups.push(now - n.since);
      if (this.#startups.length > 20) this.#startups.shift();
      this.#o.startupObserved?.(now - n.since);
      this.#o.log.info({ nodeId: n.nodeId, startupMs: now - n.since }, 'autoscaler: node serving');
    }
  }

  async scaleOut(count: number): Promise<void> {
    // Nodes that keep dying (a broken build, a port taken) are not restarted at every tick.
    if (Date.now() < this.#nextStartAt) return;
    for (let i = 0; i < count; i++) {
      const slot = await this.#freeSlot();
      if (slot === null) {
        this.#o.log.warn({ slots: this.#o.slots }, 'autoscaler: no free local slot for another SFU node');
        return;
      }
      this.#spawn(slot);
    }
  }

  async drain(nodeIds: readonly string[]): Promise<void> {
    for (const id of nodeIds) {
      const n = this.#nodes.get(id);
      if (!n) {
        this.#o.log.warn({ nodeId: id }, 'autoscaler: not draining a node this provider did not start');
        continue;
      }
      if (n.draining) continue;
      n.draining = true;
      n.proc.kill('SIGTERM');
    }
  }

  /** Stops every node at once (SIGINT; signaling moves any call left), waiting up to 10 s. */
  async close(): Promise<void> {
    this.#closing = true;
    const exits = [...this.#nodes.values()].map(
      (n) =>
        new Promise<void>((resolve) => {
          if (n.proc.exitCode !== null || n.proc.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            n.proc.kill('SIGKILL');
            resolve();
          }, 10_000);
          n.proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          n.proc.kill('SIGINT');
        }),
    );
    await Promise.all(exits);
  }

  async #freeSlot(): Promise<number | null> {
    const used = new Set([...this.#nodes.values()].map((n) => n.slot));
    for (let s = 0; s < this.#o.slots; s++)
      if (!used.has(s) && !(await listening(this.#o.controlPortBase + s))) return s;
    return null;
  }

  #spawn(slot: number): void {
    const o = this.#o;
    const nodeId = `${o.idPrefix}-${slot + 1}-${++this.#seq}`;
    const rtcMin = o.rtcPortBase + slot * o.rtcPortsPerNode;
    // The node's output straight to its log file (not through this process: a node must outlive
    // an autoscaler that dies, and drain); SIGTERM to it if this process dies.
    const out = o.logDir ? openSync(join(o.logDir, `${nodeId}.log`), 'a', 0o600) : 'ignore';
    const proc = spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', process.execPath, o.sfuMain], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        ...o.env,
        VISITA_SFU_NODE_ID: nodeId,
        VISITA_SFU_CONTROL_PORT: String(o.controlPortBase + slot),
        VISITA_SFU_METRICS_PORT: String(o.metricsPortBase + slot),
        VISITA_RTC_MIN_PORT: String(rtcMin),
        VISITA_RTC_MAX_PORT: String(rtcMin + o.rtcPortsPerNode - 1),
      },
      stdio: ['ignore', out, out],
    });
    if (typeof out === 'number') closeSync(out);
    const node: LocalNode = { nodeId, slot, proc, since: Date.now(), servedAt: null, draining: false };
    this.#nodes.set(nodeId, node);
    o.log.info({ nodeId, slot, controlPort: o.controlPortBase + slot }, 'autoscaler: starting an SFU node');
    proc.once('exit', (code, signal) => {
      this.#nodes.delete(nodeId);
      this.#writeTargets();
      const line = { nodeId, code, signal, drained: node.draining };
      if (node.draining && code === 0) o.log.info(line, 'autoscaler: node drained and stopped');
      else if (this.#closing) o.log.info(line, 'autoscaler: node stopped with the autoscaler');
      else {
        const { minMs, maxMs } = o.respawnBackoff ?? { minMs: 1_000, maxMs: 60_000 };
        const retryInMs = respawnDelayMs(++this.#exits, minMs, maxMs);
        this.#nextStartAt = Date.now() + retryInMs;
        o.log.error({ ...line, exitsInARow: this.#exits, retryInMs }, 'autoscaler: SFU node exited unexpectedly');
      }
    });
    this.#writeTargets();
  }

  /** Prometheus file-based discovery: the metrics ports of the nodes running now (written atomically). */
  #writeTargets(): void {
    const file = this.#o.sdFile;
    if (!file) return;
    const targets = [...this.#nodes.values()].map((n) => `127.0.0.1:${this.#o.metricsPortBase + n.slot}`);
    writeFileSync(`${file}.tmp`, JSON.stringify([{ targets, labels: { job: 'visita-sfu' } }]));
    renameSync(`${file}.tmp`, file);
  }
}
