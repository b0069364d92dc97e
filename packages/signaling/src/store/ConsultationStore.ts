import type { Consultation } from '../domain/consultation.ts';

/** Where consultations live. Redis in production; every signaling instance sees the same records. */
export interface ConsultationStore {
  /**
   * Stores a new consultation, unless its practitioner already holds `maxOpen` consultations not
   * ended (scheduled, waiting, in a call; one whose record expired no longer counts): false then,
   * nothing stored. Checked and stored in one step, whatever the instances.
   */
  create(c: Consultation, maxOpen?: number): Promise<boolean>;
  get(id: string): Promise<Consultation | null>;
  /** A practitioner's most recent consultations, newest first. */
  listByPractitioner(practitionerId: string, limit: number): Promise<Consultation[]>;
  /**
   * Atomically replaces the record `expected` with `next` (what the state machine returned), if the
   * stored one is still in `expected`'s state (and, in a call, on the same node); returns `next`, or
   * null when a concurrent transition won (nothing written).
   */
  compareAndSet(expected: Consultation, next: Consultation): Promise<Consultation | null>;
  /** Refuses every patient link issued so far; returns the new link version. */
  revokeLinks(id: string): Promise<number>;
  /** Whether the practitioner has a consultation in a call right now. */
  hasCallInProgress(practitionerId: string): Promise<boolean>;
  /** Every consultation in a call right now (for the sweeper's deadlines). */
  inCallIds(): Promise<string[]>;
  /** The patient's name and reason as given at check-in; `reason` undefined keeps the one stored. */
  setPatient(id: string, name: string, reason?: string | null): Promise<void>;
  getPatient(id: string): Promise<{ name: string | null; reason: string | null }>;
}
