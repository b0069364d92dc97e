import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { ErrorCode, SFU_NODES_SET, SfuNodeRecord, VisitaError, sfuNodeKey } from '@visita/protocol';
import { chooseNode } from '../domain/placement.ts';
import { SfuClient, type SfuClientEvents } from './SfuClient.ts';

/**
 * The SFU nodes this instance can route to, read from their Redis heartbeats, with one control
 * connection per node. Node events from every connection are re-emitted here.
 */
export class SfuRegistry extends EventEmitter<SfuClientEvents> {
  readonly #redis: Redis;
  readonly #token: () => string;
  readonly #clients = new Map<string, SfuClient>();

  constructor(redis: Redis, token: () => string) {
    super();
    this.#redis = redis;
    this.#token = token;
  }

  async nodes(): Promise<SfuNodeRecord[]> {
    const ids = await this.#redis.smembers(SFU_NODES_SET);
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(ids.map(sfuNodeKey));
    const out: SfuNodeRecord[] = [];
    for (const r of raw) {
      if (!r) continue;
      const parsed = SfuNodeRecord.safeParse(JSON.parse(r));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  /** Chooses a node for a new consultation (never a stale or draining one). */
  async place(now = Date.now()): Promise<string> {
    const node = chooseNode(await this.nodes(), now);
    if (!node) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'no media server is available');
    this.#connect(node);
    return node.nodeId;
  }

  /** The control connection to a node hosting a consultation. */
  async client(nodeId: string): Promise<SfuClient> {
    const existing = this.#clients.get(nodeId);
    if (existing) return existing;
    const raw = await this.#redis.get(sfuNodeKey(nodeId));
    const parsed = raw ? SfuNodeRecord.safeParse(JSON.parse(raw)) : undefined;
    if (!parsed?.success) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'the media server of this consultation is gone');
    return this.#connect(parsed.data);
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }

  #connect(node: SfuNodeRecord): SfuClient {
    const existing = this.#clients.get(node.nodeId);
    if (existing) return existing;
    const client = new SfuClient(node.nodeId, node.controlUrl, this.#token);
    client.on('roomClosed', (e) => this.emit('roomClosed', e));
    client.on('consumerClosed', (e) => this.emit('consumerClosed', e));
    this.#clients.set(node.nodeId, client);
    return client;
  }
}
