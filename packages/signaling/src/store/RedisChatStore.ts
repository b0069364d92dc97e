import type { Redis } from 'ioredis';
import type { ChatMessage } from '@visita/protocol';
import { CHAT_MAX_MESSAGES, CHAT_RETENTION_MS, type ChatStore } from './ChatStore.ts';

const key = (consultationId: string): string => `visita:chat:${consultationId}`;

/** A capped list per consultation (RPUSH + LTRIM), expiring CHAT_RETENTION_MS after the last message. */
export class RedisChatStore implements ChatStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async append(m: ChatMessage): Promise<void> {
    const k = key(m.consultationId);
    await this.#redis
      .multi()
      .rpush(k, JSON.stringify(m))
      .ltrim(k, -CHAT_MAX_MESSAGES, -1)
      .pexpire(k, CHAT_RETENTION_MS)
      .exec();
  }

  async history(consultationId: string): Promise<ChatMessage[]> {
    return (await this.#redis.lrange(key(consultationId), 0, -1)).map((raw) => JSON.parse(raw) as ChatMessage);
  }
}
