import { Role, type ProducerFlowing } from '@visita/protocol';
import type { UseCaseContext } from './context.ts';

type Flowing = ProducerFlowing & { nodeId: string };

/**
 * Billing follows the media the SFU sees: a participant's media is up from the first RTP packet of
 * their microphone at the node hosting the call, not from the producer's creation (0.3-0.5 s
 * earlier, while the browser is still connecting ICE and DTLS). Events missed while a control
 * connection was down are caught up from the rooms' summaries when it is back; the metering key
 * (role and producer) makes both paths, and every instance hearing the node, count once.
 */
export class MediaMetering {
  readonly #ctx: UseCaseContext;

  constructor(ctx: UseCaseContext) {
    this.#ctx = ctx;
    ctx.sfu.on('producerFlowing', (e) => {
      this.flowing(e).catch((err: Error) =>
        ctx.log.error({ consultationId: e.roomId, err: err.message }, 'media start not metered'),
      );
    });
    ctx.sfu.on('connected', ({ nodeId }) => {
      this.catchUp(nodeId).catch((err: Error) =>
        ctx.log.error({ nodeId, err: err.message }, 'media starts of a node not caught up'),
      );
    });
  }

  /** A producer's media reached its node: a microphone of a call hosted there marks its side's media up. */
  async flowing(e: Flowing): Promise<void> {
    if (e.kind !== 'audio' || (e.peerId !== Role.PATIENT && e.peerId !== Role.PRACTITIONER)) return;
    const c = await this.#ctx.store.get(e.roomId);
    if (c?.state !== 'in_call' || c.nodeId !== e.nodeId) return;
    // The node's clock, kept within what signaling knows: not before the admission, not in the future.
    const at = Math.min(this.#ctx.now(), Math.max(e.at, c.admittedAt));
    await this.#ctx.metering(c, 'media_up', `${e.peerId}:up:${e.producerId}`, e.peerId, at);
  }

  /** The node's rooms as they are now: every producer already flowing is metered (again: counted once). */
  async catchUp(nodeId: string): Promise<void> {
    const { store, sfu } = this.#ctx;
    for (const id of await store.inCallIds()) {
      const c = await store.get(id);
      if (c?.state !== 'in_call' || c.nodeId !== nodeId) continue;
      const room = await (await sfu.client(nodeId)).call('room.get', { roomId: c.id }).catch(() => undefined);
      for (const peer of room?.peers ?? [])
        for (const p of peer.producers)
          if (p.flowingAt !== null)
            await this.flowing({
              nodeId,
              roomId: c.id,
              peerId: peer.peerId,
              producerId: p.id,
              kind: p.kind,
              at: p.flowingAt,
            });
    }
  }
}
