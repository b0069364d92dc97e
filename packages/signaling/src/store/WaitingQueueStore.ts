import type { DeviceCheck } from '@visita/protocol';

export interface QueueEntry {
  consultationId: string;
  patientName: string;
  reason: string | null;
  deviceCheck: DeviceCheck | null;
  checkedInAt: number;
}

/** Each practitioner's waiting room: patients in check-in order, shared by every instance. */
export interface WaitingQueueStore {
  /**
   * Adds the patient, or updates their details if already there: a patient who checks in again
   * (reconnection, reload) keeps their place and original check-in time. Returns the stored entry.
   */
  checkIn(practitionerId: string, entry: QueueEntry): Promise<QueueEntry>;
  /** Removes the entry (admitted, declined, ended); false if it was not there. */
  remove(practitionerId: string, consultationId: string): Promise<boolean>;
  /** One patient's entry, or null if they are not waiting. */
  entry(practitionerId: string, consultationId: string): Promise<QueueEntry | null>;
  /** Entries in check-in order (oldest first); the first `limit` only, when given. */
  list(practitionerId: string, limit?: number): Promise<QueueEntry[]>;
  /** How many patients wait. */
  count(practitionerId: string): Promise<number>;
  /** Consultation ids in check-in order, from 0-based `start` to `stop` inclusive (default: all). */
  ids(practitionerId: string, start?: number, stop?: number): Promise<string[]>;
  /** 0-based place of the entry, or null if it is not waiting. */
  rank(practitionerId: string, consultationId: string): Promise<number | null>;
  /** Practitioners whose waiting room has anyone in it. */
  practitioners(): Promise<string[]>;
  /** Notes that the patient was seen absent at `now`, unless already noted; returns since when. */
  markAbsent(consultationId: string, now: number): Promise<number>;
  /** Since when each patient has been noted absent (null: not noted), in the order asked. */
  absences(consultationIds: string[]): Promise<Array<number | null>>;
  /** Forgets the absence (the patient is back); true if one was noted. */
  clearAbsent(consultationId: string): Promise<boolean>;
}
