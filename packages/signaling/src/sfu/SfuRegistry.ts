import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { ErrorCode, SFU_NODES_SET, SFU_STALE_MS, VisitaError, sfuNodeKey, type SfuNodeRecord } from '@visita/protocol';
import { nodeRecordKey, verifyNodeRecord } from '@visita/protocol/nodeRecord';
import { CONSUMERS_PER_CALL, chooseNode, chooseProbeNode } from '../domain/placement.ts';
import type { Logger } from '../logger.ts';
import { SfuClient, type SfuClientEvents } from './SfuClient.ts';

/** Node ids whose bad records were logged; past this many, new ones are no longer remembered (nor logged). */
const MAX_REMEMBERED_BAD_RECORDS = 1_000;

export interface SfuRegistryOptions {
  /** The shared SFU secret: node records are signed with a key derived from it. */
  secret: string;
  /** A fresh control token for one node (its audience names that node). */
  token: (nodeId: string) => string;
  log: Logger;
}

/**
 * The SFU nodes this instance can route to, read from their Redis heartbeats, with one control
 * connection per node. Only records signed by a node holding the SFU secret count: one written
 * into Redis by anybody else is never placed on nor connected to. Node events from every
 * connection are re-emitted here.
 */
export class SfuRegistry extends EventEmitter<SfuClientEvents> {
  readonly #redis: Redis;
  readonly #recordKey: Buffer;
  readonly #token: (nodeId: string) => string;
  readonly #log: Logger;
  readonly #clients = new Map<string, SfuClient>();
  readonly #badRecordsLogged = new Set<string>();
  /**
   * Nodes whose connection was lost, with the date of their last heartbeat seen then (null until
   * read): never placed on nor called until they beat again (the node's own clock, compared with itself).
   */
  readonly #lost = new Map<string, number | null>();
  /**
   * Placements this instance made, per node, with their time: a node's record is up to one
   * heartbeat old, so calls placed since it was written are added to its load (else several
   * admits within one heartbeat would all go to the same node).
   */
  readonly #placed = new Map<string, number[]>();

  constructor(redis: Redis, options: SfuRegistryOptions) {
    super();
    this.#redis = redis;
    this.#recordKey = nodeRecordKey(options.secret);
    this.#token = options.token;
    this.#log = options.log;
  }

  async nodes(): Promise<SfuNodeRecord[]> {
    const ids = await this.#redis.smembers(SFU_NODES_SET);
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(ids.map(sfuNodeKey));
    const out: SfuNodeRecord[] = [];
    ids.forEach((id, i) => {
      const record = this.#verified(id, raw[i]);
      if (record) out.push(record);
    });
    return out;
  }

  /** Chooses a node for a new consultation (never a stale, draining, full or lost one). */
  async place(now = Date.now()): Promise<string> {
    const node = chooseNode(
      // Not a node known lost, nor one whose control connection is down right now (it may be
      // dying: the loss is declared SFU_LOSS_MS after the connection closed).
      (await this.nodes())
        .filter((n) => !this.#isLost(n) && this.#clients.get(n.nodeId)?.down !== true)
        .map((n) => this.#withRecentPlacements(n, now)),
      now,
    );
    if (!node) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'no media server is available');
    const placed = this.#placed.get(node.nodeId) ?? [];
    placed.push(now);
    this.#placed.set(node.nodeId, placed);
    this.#connect(node);
    return node.nodeId;
  }

  /** Chooses a node for a network test (not counted as a placement: a test is no call). */
  async probeNode(now = Date.now()): Promise<string> {
    const node = chooseProbeNode(
      (await this.nodes()).filter((n) => !this.#isLost(n) && this.#clients.get(n.nodeId)?.down !== true),
      now,
    );
    if (!node) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'no media server is available');
    this.#connect(node);
    return node.nodeId;
  }

  /** The control connection to a node hosting a consultation. */
  async client(nodeId: string): Promise<SfuClient> {
    const existing = this.#clients.get(nodeId);
    if (existing) return existing;
    const record = this.#verified(nodeId, await this.#redis.get(sfuNodeKey(nodeId)));
    if (!record || this.#isLost(record))
      throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'the media server of this consultation is gone');
    return this.#connect(record);
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }

  /**
   * The record with the calls placed here since it was written counted in (older ones forgotten).
   * Placement times are this instance's clock, `updatedAt` the node's: with clocks apart by more
   * than a heartbeat, a burst is spread less well (or counted a little longer), never refused.
   */
  #withRecentPlacements(n: SfuNodeRecord, now: number): SfuNodeRecord {
    const recent = (this.#placed.get(n.nodeId) ?? []).filter((t) => t > n.updatedAt && now - t < SFU_STALE_MS);
    if (recent.length === 0) this.#placed.delete(n.nodeId);
    else this.#placed.set(n.nodeId, recent);
    return { ...n, rooms: n.rooms + recent.length, consumers: n.consumers + recent.length * CONSUMERS_PER_CALL };
  }

  /** Lost and not heard from since (a node that comes back beats with a newer date). */
  #isLost(node: SfuNodeRecord): boolean {
    if (!this.#lost.has(node.nodeId)) return false;
    const lastBeat = this.#lost.get(node.nodeId);
    if (lastBeat !== null && lastBeat !== undefined && node.updatedAt > lastBeat) {
      this.#lost.delete(node.nodeId);
      return false;
    }
    return true;
  }

  /** The record stored for `nodeId`, if it is signed with the SFU secret's record key and names that node. */
  #verified(nodeId: string, raw: string | null | undefined): SfuNodeRecord | undefined {
    if (!raw) return undefined;
    const record = verifyNodeRecord(raw, this.#recordKey);
    if (record?.nodeId === nodeId) return record;
    if (!this.#badRecordsLogged.has(nodeId) && this.#badRecordsLogged.size < MAX_REMEMBERED_BAD_RECORDS) {
      this.#badRecordsLogged.add(nodeId);
      this.#log.warn({ nodeId: nodeId.slice(0, 64) }, 'ignoring an SFU node record that is not validly signed');
    }
    return undefined;
  }

  #connect(node: SfuNodeRecord): SfuClient {
    const existing = this.#clients.get(node.nodeId);
    if (existing) return existing;
    const client = new SfuClient(node.nodeId, node.controlUrl, () => this.#token(node.nodeId));
    client.on('roomClosed', (e) => this.emit('roomClosed', e));
    client.on('consumerClosed', (e) => this.emit('consumerClosed', e));
    client.on('producerFlowing', (e) => this.emit('producerFlowing', e));
    client.on('connected', (e) => this.emit('connected', e));
    client.once('nodeLost', (e) => {
      this.#log.warn({ nodeId: e.nodeId }, 'SFU node lost (control connection closed)');
      this.#lost.set(e.nodeId, null);
      void this.#redis
        .get(sfuNodeKey(e.nodeId))
        .then(
          (raw) => this.#lost.has(e.nodeId) && this.#lost.set(e.nodeId, this.#verified(e.nodeId, raw)?.updatedAt ?? 0),
        )
        .catch(() => this.#lost.set(e.nodeId, 0));
      // Bounded by the nodes ever connected; a node that comes back gets a fresh connection.
      client.close();
      this.#clients.delete(e.nodeId);
      this.emit('nodeLost', e);
    });
    this.#clients.set(node.nodeId, client);
    return client;
  }
}
