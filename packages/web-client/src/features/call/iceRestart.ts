// ICE restarts of one media session's transports. A network change (Wi-Fi to 4G, a tunnel) shows
// as a transport going 'disconnected', then 'failed': ICE is restarted on the same transport (new
// credentials from the node, new candidates gathered here), so the call goes on without being
// rebuilt; only when restarts cannot bring it back is the session lost.
import type { types } from 'mediasoup-client';
import { request, type SignalingSocket } from '../../lib/signaling.ts';

/** A transport 'disconnected' this long gets an ICE restart (Chrome recovers from shorter blips by itself). */
export const ICE_RESTART_AFTER_MS = 2_000;
/** How long the node may take to answer a restart (the signaling connection may be the one that died). */
export const ICE_RESTART_REQUEST_MS = 5_000;
/** How long one ICE restart may take to connect again before the next one. */
export const ICE_RESTART_WAIT_MS = 6_000;
/** ICE restarts tried in a row before the media is given up as lost (the call view then rebuilds it). */
export const MAX_ICE_RESTARTS = 3;

export class IceRestarts {
  readonly #socket: SignalingSocket;
  readonly #consultationId: string;
  readonly #closed: () => boolean;
  /** The session's connection may look different (restart started or over, a state change). */
  readonly #changed: () => void;
  /** Called once, when restarts could not bring a transport back. */
  readonly #lost: () => void;
  /** Transports with an ICE restart under way, and each one's latest restart (newer ones supersede). */
  readonly #restarting = new Set<string>();
  readonly #epochs = new Map<string, number>();
  #count = 0;
  #gaveUp = false;

  constructor(opts: {
    socket: SignalingSocket;
    consultationId: string;
    closed: () => boolean;
    changed: () => void;
    lost: () => void;
  }) {
    this.#socket = opts.socket;
    this.#consultationId = opts.consultationId;
    this.#closed = opts.closed;
    this.#changed = opts.changed;
    this.#lost = opts.lost;
  }

  /** ICE restarts asked for so far. */
  get count(): number {
    return this.#count;
  }

  restarting(transportId: string): boolean {
    return this.#restarting.has(transportId);
  }

  /** Restarts ICE when the transport stays 'disconnected' (or at once when 'failed'); returns the cleanup. */
  watch(transport: types.Transport): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    transport.on('connectionstatechange', (state) => {
      clearTimeout(timer);
      if (this.#closed()) return;
      if (state === 'disconnected' || state === 'failed')
        timer = setTimeout(() => this.restart(transport), state === 'failed' ? 0 : ICE_RESTART_AFTER_MS);
      this.#changed();
    });
    return () => clearTimeout(timer);
  }

  /**
   * Starts an ICE restart of `transport`, or starts it over: after a network change (or signaling
   * back after a cut) the request in flight may have gone out on a dead connection, so a new
   * attempt supersedes it. `networkChanged`: even if the transport still looks connected.
   */
  restart(transport: types.Transport, networkChanged = false): void {
    if (this.#closed() || transport.closed) return;
    if (!networkChanged && this.#restarting.has(transport.id)) return;
    const epoch = (this.#epochs.get(transport.id) ?? 0) + 1;
    this.#epochs.set(transport.id, epoch);
    void this.#loop(transport, epoch, networkChanged);
  }

  async #loop(transport: types.Transport, epoch: number, networkChanged: boolean): Promise<void> {
    const current = () => this.#epochs.get(transport.id) === epoch && !this.#closed() && !transport.closed;
    this.#restarting.add(transport.id);
    this.#changed();
    try {
      for (let attempt = 0; attempt < MAX_ICE_RESTARTS; attempt++) {
        if (!current()) return;
        if (transport.connectionState === 'connected' && !(networkChanged && attempt === 0)) return;
        this.#count++;
        try {
          const { iceParameters, iceServers } = await request(
            this.#socket,
            'media:restartIce',
            { consultationId: this.#consultationId, transportId: transport.id },
            ICE_RESTART_REQUEST_MS,
          );
          if (!current()) return; // superseded: these credentials are already stale
          // Fresh TURN credentials first: a long call may have outlived the first ones.
          if (iceServers) await transport.updateIceServers({ iceServers });
          await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
        } catch (e) {
          // The node no longer knows the transport (the call moved, the peer was freed): rebuild.
          if ((e as { code?: string }).code !== 'TIMEOUT') break;
          continue;
        }
        if (await connectedWithin(transport, ICE_RESTART_WAIT_MS)) return;
      }
      // Once per session, whichever transport gives up first.
      if (current() && transport.connectionState !== 'connected' && !this.#gaveUp) {
        this.#gaveUp = true;
        this.#lost();
      }
    } finally {
      if (this.#epochs.get(transport.id) === epoch) {
        this.#restarting.delete(transport.id);
        this.#changed();
      }
    }
  }
}

/** Resolves true once `transport` is connected, false after `ms` (or when it closes). */
function connectedWithin(transport: types.Transport, ms: number): Promise<boolean> {
  if (transport.connectionState === 'connected') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      transport.off('connectionstatechange', onState);
      resolve(ok);
    };
    const onState = (state: string) => {
      if (state === 'connected') done(true);
      else if (state === 'closed') done(false);
    };
    const timer = setTimeout(() => done(false), ms);
    transport.on('connectionstatechange', onState);
  });
}
