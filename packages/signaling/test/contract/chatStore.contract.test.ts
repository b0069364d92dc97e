import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@visita/protocol';
import { CHAT_MAX_MESSAGES, type ChatStore } from '../../src/store/ChatStore.ts';
import { MemoryChatStore } from '../../src/store/MemoryChatStore.ts';
import { RedisChatStore } from '../../src/store/RedisChatStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

describe.each<[string, () => ChatStore]>([
  ['memory', () => new MemoryChatStore()],
  ['redis', () => new RedisChatStore(redis())],
])('ChatStore contract (%s)', (name, make) => {
  const msg = (c: string, i: number): ChatMessage => ({
    id: `${c}-${i}`,
    consultationId: c,
    from: i % 2 ? 'patient' : 'practitioner',
    text: `line ${i} — é ✓`,
    at: 1000 + i,
  });

  it('returns a consultation’s messages in order, apart from other consultations', async () => {
    const store = make();
    const c = `chat-${name}-${Date.now()}`;
    for (let i = 0; i < 3; i++) await store.append(msg(c, i));
    await store.append(msg(`${c}-other`, 9));
    expect(await store.history(c)).toEqual([msg(c, 0), msg(c, 1), msg(c, 2)]);
    expect(await store.history(`${c}-none`)).toEqual([]);
  });

  it('keeps only the last CHAT_MAX_MESSAGES', async () => {
    const store = make();
    const c = `cap-${name}-${Date.now()}`;
    for (let i = 0; i < CHAT_MAX_MESSAGES + 5; i++) await store.append(msg(c, i));
    const h = await store.history(c);
    expect(h).toHaveLength(CHAT_MAX_MESSAGES);
    expect(h[0]).toEqual(msg(c, 5));
  });
});
