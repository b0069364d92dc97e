import { EventEmitter } from 'node:events';
import {
  ErrorCode,
  Role,
  type RoomSummary,
  VisitaError,
  type SfuMethod,
  type ServerToClientEvents,
} from '@visita/protocol';
import { ConsultationService } from '../../src/ConsultationService.ts';
import { createLogger } from '../../src/logger.ts';
import type { MeteringEvent } from '../../src/metering/events.ts';
import type { Notifier } from '../../src/notifier.ts';
import type { SfuClientEvents } from '../../src/sfu/SfuClient.ts';
import type { SfuNodes, SfuRpc } from '../../src/sfu/SfuNodes.ts';
import type { Identity } from '../../src/tokens.ts';
import { MemoryAuditStore } from '../../src/store/MemoryAuditStore.ts';
import { MemoryClaims } from '../../src/store/MemoryClaims.ts';
import { MemoryChatStore } from '../../src/store/MemoryChatStore.ts';
import { MemoryConsultationStore } from '../../src/store/MemoryConsultationStore.ts';
import { MemoryDeadlineStore } from '../../src/store/MemoryDeadlineStore.ts';
import { MemoryDurationStore } from '../../src/store/MemoryDurationStore.ts';
import { MemoryAdmissionStore } from '../../src/store/MemoryAdmissionStore.ts';
import { MemoryPresenceStore } from '../../src/store/MemoryPresenceStore.ts';
import { MemoryWaitingQueueStore } from '../../src/store/MemoryWaitingQueueStore.ts';

// The use cases with in-memory twins, a fake SFU and a recording notifier, on a clock the test
// moves: unit tests of every use case without Redis, a worker or sockets.

/** Media nodes that answer every RPC and remember it; a node in `gone` answers nothing. */
export class FakeSfuNodes extends EventEmitter<SfuClientEvents> implements SfuNodes {
  readonly rpcs: Array<{ nodeId: string; method: SfuMethod; params: unknown }> = [];
  readonly gone = new Set<string>();
  /** What `room.get` answers, by room. */
  readonly rooms = new Map<string, RoomSummary>();

  /** While true, no node has room (place answers NO_MEDIA_CAPACITY). */
  full = false;

  async place(): Promise<string> {
    if (this.full) throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'no media server is available');
    return 'node-1';
  }

  async probeNode(): Promise<string> {
    return this.place();
  }

  async client(nodeId: string): Promise<SfuRpc> {
    if (this.gone.has(nodeId))
      throw new VisitaError(ErrorCode.NO_MEDIA_CAPACITY, 'the media server of this consultation is gone');
    return {
      call: async (method, params) => {
        this.rpcs.push({ nodeId, method, params });
        const answers: Record<string, unknown> = {
          'room.open': { rtpCapabilities: { codecs: [] }, created: true, decoders: {} },
          'room.close': { closed: true },
          'peer.close': { closed: true },
          'room.get': this.rooms.get((params as { roomId: string }).roomId),
        };
        return answers[method] as never;
      },
    };
  }
}

type Sent = { to: string; event: keyof ServerToClientEvents; payload: unknown };

/** Everything the use cases tell clients, in order. */
export class RecordingNotifier implements Notifier {
  readonly sent: Sent[] = [];

  toConsultation<E extends keyof ServerToClientEvents>(
    id: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    this.sent.push({ to: `c:${id}`, event, payload: args[0] });
  }
  toRole<E extends keyof ServerToClientEvents>(
    id: string,
    role: Role,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    this.sent.push({ to: `c:${id}:${role}`, event, payload: args[0] });
  }
  toRoleHere<E extends keyof ServerToClientEvents>(
    id: string,
    role: Role,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    this.toRole(id, role, event, ...args);
  }
  toPractitionerHere<E extends keyof ServerToClientEvents>(
    id: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    this.sent.push({ to: `p:${id}`, event, payload: args[0] });
  }
  hasPractitionerHere(): boolean {
    return false;
  }
  queueChanged(): void {}
  disconnectRole(): void {}
}

export const PRESENCE_TTL_MS = 30_000;

/** The practitioner of the harness's consultations. */
export const HARNESS_DOCTOR: Identity = {
  kind: 'practitioner',
  sub: 'pr-1',
  name: 'Dr One',
  role: 'practitioner',
  sid: 's1',
};

/** A harness with one consultation in a call: both present, the patient checked in and admitted. */
export async function harnessInCall() {
  const h = useCaseHarness();
  const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
  const patient: Identity = { kind: 'patient', sub: 'pt-1', consultationId: c.id, v: 0 };
  await h.presence.touch(c.id, Role.PATIENT, 'i1:patient', h.clock.now());
  await h.presence.touch(c.id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
  await h.service.waitingRoom.join(patient, { consultationId: c.id, displayName: 'Ada' });
  await h.service.calls.admit(HARNESS_DOCTOR, { consultationId: c.id });
  return { h, id: c.id, patient, admittedAt: h.clock.now() };
}

export function useCaseHarness(start = 1_800_000_000_000, extra: { capacityEta?: () => Promise<number | null> } = {}) {
  let now = start;
  const clock = {
    now: () => now,
    advance: (ms: number): void => {
      now += ms;
    },
  };
  const presence = new MemoryPresenceStore(PRESENCE_TTL_MS);
  const ports = {
    now: clock.now,
    store: new MemoryConsultationStore(),
    queue: new MemoryWaitingQueueStore(),
    presence,
    audit: new MemoryAuditStore(),
    deadlines: new MemoryDeadlineStore(),
    chat: new MemoryChatStore(),
    claims: new MemoryClaims(clock.now),
    durations: new MemoryDurationStore(),
    admissions: new MemoryAdmissionStore(),
    metered: [] as MeteringEvent[],
    instanceId: 'sig-unit',
  };
  const sfu = new FakeSfuNodes();
  const notify = new RecordingNotifier();
  const service = new ConsultationService(
    { ...ports, ...extra, meter: async (e) => void ports.metered.push(e) },
    sfu,
    notify,
    createLogger('silent'),
  );
  return { service, clock, sfu, notify, ...ports };
}
