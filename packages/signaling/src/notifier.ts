import { Role, type ServerToClientEvents } from '@visita/protocol';
import type { Identity } from './tokens.ts';

/** How the service reaches connected clients; implemented over Socket.IO rooms. */
export interface Notifier {
  toConsultation<E extends keyof ServerToClientEvents>(
    id: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
  toRole<E extends keyof ServerToClientEvents>(
    id: string,
    role: Role,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
  /**
   * A practitioner's waiting room changed: every instance sends the practitioner's dashboards it
   * holds the queue, and the waiting patients it holds at positions from..to (1-based, to = null:
   * the end; from = null: none) their position. One small inter-instance message carrying ids
   * only: names and reasons never travel through the instances' shared stream.
   */
  queueChanged(practitionerId: string, from: number | null, to: number | null): void;
  /** Only to this instance's dashboards of the practitioner. */
  toPractitionerHere<E extends keyof ServerToClientEvents>(
    practitionerId: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
  /** Whether this instance holds a dashboard of the practitioner. */
  hasPractitionerHere(practitionerId: string): boolean;
  /** Closes the connections of that role in the consultation, on every instance. */
  disconnectRole(id: string, role: Role): void;
  /** Only to this instance's connections (for SFU node events, which every instance receives). */
  toRoleHere<E extends keyof ServerToClientEvents>(
    id: string,
    role: Role,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
}

export const roleOf = (identity: Identity): Role => (identity.kind === 'patient' ? Role.PATIENT : Role.PRACTITIONER);

/** The presence key of a practitioner's dashboard (any tab, any instance), beside per-consultation keys. */
export const practitionerPresenceKey = (practitionerId: string): string => `p-${practitionerId}`;

/** The other participant of a consultation. */
export const otherRole = (role: Role): Role => (role === Role.PATIENT ? Role.PRACTITIONER : Role.PATIENT);
