import type { ChatMessage } from '@visita/protocol';
import { CHAT_MAX_MESSAGES, type ChatStore } from './ChatStore.ts';

export class MemoryChatStore implements ChatStore {
  readonly #chats = new Map<string, ChatMessage[]>();

  async append(message: ChatMessage): Promise<void> {
    const list = this.#chats.get(message.consultationId) ?? [];
    list.push(message);
    this.#chats.set(message.consultationId, list.slice(-CHAT_MAX_MESSAGES));
  }

  async history(consultationId: string): Promise<ChatMessage[]> {
    return [...(this.#chats.get(consultationId) ?? [])];
  }
}
