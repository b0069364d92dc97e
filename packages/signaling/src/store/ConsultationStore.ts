import type { ConsultationState } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';

/** Where consultations live. Redis in production; every signaling instance sees the same records. */
export interface ConsultationStore {
  create(c: Consultation): Promise<void>;
  get(id: string): Promise<Consultation | null>;
  /** A practitioner's most recent consultations, newest first. */
  listByPractitioner(practitionerId: string, limit: number): Promise<Consultation[]>;
  /**
   * Atomically moves `id` from `from` to `to` and merges `patch`; returns the new record, or null
   * when the record is not (or no longer) in `from` — a concurrent transition won.
   */
  compareAndSet(
    id: string,
    from: ConsultationState,
    to: ConsultationState,
    patch: Partial<Pick<Consultation, 'nodeId' | 'admittedAt' | 'endedAt'>>,
  ): Promise<Consultation | null>;
  setNode(id: string, nodeId: string | null): Promise<void>;
  /** Refuses every patient link issued so far; returns the new link version. */
  revokeLinks(id: string): Promise<number>;
  /** Whether the practitioner has a consultation in a call right now. */
  hasCallInProgress(practitionerId: string): Promise<boolean>;
  /** Every consultation in a call right now (for the sweeper's deadlines). */
  inCallIds(): Promise<string[]>;
  setPatientName(id: string, name: string): Promise<void>;
  getPatientName(id: string): Promise<string | null>;
}
