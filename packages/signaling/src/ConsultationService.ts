import { MediaCalls } from './MediaCalls.ts';
import { practitionerPresenceKey, roleOf, type Notifier } from './notifier.ts';
import type { Logger } from './logger.ts';
import type { SfuNodes } from './sfu/SfuNodes.ts';
import { AuditAction } from './store/AuditStore.ts';
import { Calls } from './usecases/Calls.ts';
import { Chat } from './usecases/Chat.ts';
import { Consultations } from './usecases/Consultations.ts';
import { useCaseContext, type UseCasePorts } from './usecases/context.ts';
import { Lifecycle } from './usecases/Lifecycle.ts';
import { MediaMetering } from './usecases/MediaMetering.ts';
import { NetworkProbes } from './usecases/NetworkProbes.ts';
import { WaitingRoom } from './usecases/WaitingRoom.ts';

export { practitionerPresenceKey, roleOf, type Notifier };

/**
 * The consultation use cases, by capability: consultations (records, who may see one), the
 * waiting room, the call (admission, hang-up, departures), the chat, and the media calls forwarded
 * to the SFU node hosting the consultation; every state change goes through Lifecycle (machine,
 * compare-and-set, effects). Callers are authenticated;
 * every use case checks that the caller belongs to the consultation and that its state allows it.
 */
export class ConsultationService {
  readonly consultations: Consultations;
  readonly waitingRoom: WaitingRoom;
  readonly calls: Calls;
  readonly chat: Chat;
  readonly media: MediaCalls;
  readonly mediaMetering: MediaMetering;
  readonly probes: NetworkProbes;

  constructor(ports: UseCasePorts, sfu: SfuNodes, notify: Notifier, log: Logger) {
    const ctx = useCaseContext(ports, sfu, notify, log);
    this.consultations = new Consultations(ctx);
    const lifecycle = new Lifecycle(ctx, this.consultations);
    this.waitingRoom = new WaitingRoom(ctx, this.consultations, lifecycle);
    this.calls = new Calls(ctx, this.consultations, this.waitingRoom, lifecycle);
    this.chat = new Chat(ctx, this.consultations);
    this.media = new MediaCalls(
      sfu,
      notify,
      (identity, id) => this.consultations.authorize(identity, id),
      // Billing starts later, from the microphone's first RTP packet at the node (MediaMetering).
      (identity, c) => ctx.record(AuditAction.JOINED_MEDIA, identity, c),
      ports.ice,
    );
    this.mediaMetering = new MediaMetering(ctx);
    this.probes = new NetworkProbes(
      sfu,
      (identity, id) => this.consultations.authorize(identity, id),
      ports.ice,
      ports.probeTtlMs,
      ports.probeShare,
    );
  }
}
