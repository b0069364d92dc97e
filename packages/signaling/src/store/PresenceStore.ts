import type { Role } from '@visita/protocol';

/**
 * Who is connected to a consultation, shared by every signaling instance. Each connection is a
 * member with an expiry that its instance renews by heartbeat; a crashed instance stops renewing,
 * so its members stop counting after the TTL by themselves.
 */
export interface PresenceStore {
  /** Marks `member` (one connection) present until now + TTL. */
  touch(consultationId: string, role: Role, member: string, now: number): Promise<void>;
  remove(consultationId: string, role: Role, member: string): Promise<void>;
  isPresent(consultationId: string, role: Role, now: number): Promise<boolean>;
  /** isPresent for many consultations at once (one round trip for Redis). */
  presentMany(consultationIds: readonly string[], role: Role, now: number): Promise<boolean[]>;
  /**
   * When a connection of that role was last renewed (its instance's last heartbeat), for at
   * least one TTL after it expired; null if none is known. How a crashed instance's participant's
   * departure is dated.
   */
  lastSeen(consultationId: string, role: Role): Promise<number | null>;
}

/** Default TTL of a presence record; instances renew at a third of it. */
export const PRESENCE_TTL_MS = 30_000;
