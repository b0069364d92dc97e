import type { PatientDevices } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';

/** What the patient gave at check-in. */
export interface PatientRecord {
  name: string | null;
  reason: string | null;
  /** Their device check's camera and microphone (null: none given yet). */
  devices: PatientDevices | null;
}

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
  /**
   * The patient's name, reason and devices as given at check-in; `reason` or `devices` undefined
   * keeps the one stored.
   */
  setPatient(id: string, name: string, reason?: string | null, devices?: PatientDevices): Promise<void>;
  getPatient(id: string): Promise<PatientRecord>;
}
