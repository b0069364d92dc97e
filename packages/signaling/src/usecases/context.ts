import type { Role } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { Logger } from '../logger.ts';
import type { TransportIce } from '../MediaCalls.ts';
import type { MeteringEvent } from '../metering/events.ts';
import type { ProbeShare } from './NetworkProbes.ts';
import { roleOf, type Notifier } from '../notifier.ts';
import type { SfuNodes } from '../sfu/SfuNodes.ts';
import type { AdmissionStore } from '../store/AdmissionStore.ts';
import type { AuditAction, AuditStore } from '../store/AuditStore.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { Claims } from '../store/Claims.ts';
import type { ConsultationStore } from '../store/ConsultationStore.ts';
import type { DeadlineStore } from '../store/DeadlineStore.ts';
import type { DurationStore } from '../store/DurationStore.ts';
import type { PresenceStore } from '../store/PresenceStore.ts';
import type { WaitingQueueStore } from '../store/WaitingQueueStore.ts';
import type { Identity } from '../tokens.ts';

/** Why a call's media room had to be placed again. */
export type MediaMoveReason = 'node_lost' | 'worker_died' | 'drained';

/** What the use cases report for metrics (a no-op unless the instance serves metrics). */
export interface UseCaseObserver {
  /** A patient was admitted after waiting `waitedMs` since their check-in. */
  admitted(waitedMs: number): void;
  mediaMoved(reason: MediaMoveReason): void;
  /** An admission found no media capacity and waits for it. */
  admissionDelayed(): void;
  /** A delayed admission started its call after waiting `waitedMs` for capacity. */
  admissionResumed(waitedMs: number): void;
}

/** The ports every use case works through (Redis in production, in-memory twins in tests). */
export interface UseCasePorts {
  /** Metrics; none when absent. */
  observer?: UseCaseObserver;
  /** The one clock of the use cases (epoch ms); tests pass their own. */
  now?: () => number;
  store: ConsultationStore;
  queue: WaitingQueueStore;
  presence: PresenceStore;
  audit: AuditStore;
  deadlines: DeadlineStore;
  chat: ChatStore;
  claims: Claims;
  durations: DurationStore;
  admissions: AdmissionStore;
  /** How long until more media capacity is expected (ms), or null when none is on the way; none: null. */
  capacityEta?: () => Promise<number | null>;
  meter: (e: MeteringEvent) => Promise<unknown>;
  instanceId: string;
  /** The practitioner's display name (cached by the caller); none: null. */
  practitionerName?: (practitionerId: string) => Promise<string | null>;
  /** The practice's name shown to patients (VISITA_PRACTICE_NAME); none: null. */
  practiceName?: string | null;
  /** TURN servers and ICE policy handed with each transport; none: direct only. */
  ice?: (identity: Identity) => TransportIce;
  /** How long a media node keeps a network test (VISITA_PROBE_TTL_MS). */
  probeTtlMs?: number;
  /** Each practitioner's share of network tests running at once; none: no share. */
  probeShare?: ProbeShare;
  /** Consultations one practitioner may hold open at once (VISITA_OPEN_CONSULTATIONS); none: no limit. */
  maxOpenConsultations?: number;
}

/** What the use cases share: the ports, the SFU nodes, the notifier, the log, and two recorders. */
export interface UseCaseContext extends UseCasePorts {
  now: () => number;
  observer: UseCaseObserver;
  capacityEta: () => Promise<number | null>;
  practitionerName: (practitionerId: string) => Promise<string | null>;
  practiceName: string | null;
  sfu: SfuNodes;
  notify: Notifier;
  log: Logger;
  /** Appends a metering fact; `key` makes a retry of the same fact count once. */
  metering(c: Consultation, type: MeteringEvent['type'], key: string, role?: Role, at?: number): Promise<void>;
  /** Appends to the audit log: who did what to which consultation, ids only. */
  record(action: AuditAction, actor: Identity | 'system', c: Consultation): Promise<void>;
  /** Which participants are present right now. */
  presentRoles(consultationId: string): Promise<Record<Role, boolean>>;
}

export function useCaseContext(ports: UseCasePorts, sfu: SfuNodes, notify: Notifier, log: Logger): UseCaseContext {
  const now = ports.now ?? Date.now;
  return {
    ...ports,
    now,
    observer: ports.observer ?? {
      admitted: () => undefined,
      mediaMoved: () => undefined,
      admissionDelayed: () => undefined,
      admissionResumed: () => undefined,
    },
    capacityEta: ports.capacityEta ?? (async () => null),
    practitionerName: ports.practitionerName ?? (async () => null),
    practiceName: ports.practiceName ?? null,
    sfu,
    notify,
    log,
    metering: async (c, type, key, role, at = now()) => {
      await ports.meter({
        key: `${c.id}:${key}`,
        type,
        consultationId: c.id,
        practitionerId: c.practitionerId,
        at,
        ...(role ? { role } : {}),
      });
    },
    presentRoles: async (consultationId) => {
      const at = now();
      const [patient, practitioner] = await Promise.all([
        ports.presence.isPresent(consultationId, 'patient', at),
        ports.presence.isPresent(consultationId, 'practitioner', at),
      ]);
      return { patient, practitioner };
    },
    record: async (action, actor, c) => {
      await ports.audit.append({
        action,
        actorRole: actor === 'system' ? 'system' : roleOf(actor),
        actorId: actor === 'system' ? ports.instanceId : actor.sub,
        consultationId: c.id,
        practitionerId: c.practitionerId,
        at: now(),
        instanceId: ports.instanceId,
      });
    },
  };
}
