import type { ChatMessage } from '@visita/protocol';

/** The chat of one consultation: kept for the consultation (resynchronised after reconnects), bounded. */
export interface ChatStore {
  append(message: ChatMessage): Promise<void>;
  /** Every message kept, oldest first (at most CHAT_MAX_MESSAGES). */
  history(consultationId: string): Promise<ChatMessage[]>;
}

/** One page of a history (oldest first): the last `limit` messages older than `before`. */
export function chatPage(
  all: readonly ChatMessage[],
  limit: number,
  before?: number,
): { messages: ChatMessage[]; more: boolean } {
  const older = before === undefined ? all : all.filter((m) => m.at < before);
  return { messages: older.slice(-limit), more: older.length > limit };
}

export const CHAT_MAX_MESSAGES = 200;
/** Chats expire a week after their last message (the clinical record lives elsewhere). */
export const CHAT_RETENTION_MS = 7 * 24 * 3600_000;
