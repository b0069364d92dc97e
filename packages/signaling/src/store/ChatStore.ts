import type { ChatMessage } from '@visita/protocol';

/** The chat of one consultation: kept for the consultation (resynchronised after reconnects), bounded. */
export interface ChatStore {
  append(message: ChatMessage): Promise<void>;
  /** Oldest first, at most CHAT_MAX_MESSAGES. */
  history(consultationId: string): Promise<ChatMessage[]>;
}

export const CHAT_MAX_MESSAGES = 200;
/** Chats expire a week after their last message (the clinical record lives elsewhere). */
export const CHAT_RETENTION_MS = 7 * 24 * 3600_000;
