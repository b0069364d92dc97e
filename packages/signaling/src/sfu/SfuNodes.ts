import type { EventEmitter } from 'node:events';
import type { SfuMethod, SfuRequest, SfuResponses } from '@visita/protocol';
import type { SfuClientEvents } from './SfuClient.ts';

/** One SFU node's typed RPC (SfuClient over its control connection). */
export interface SfuRpc {
  call<M extends SfuMethod>(method: M, params: SfuRequest<M>): Promise<SfuResponses[M]>;
}

/**
 * The port through which the use cases reach the media nodes: placement of a new consultation,
 * the RPC of the node hosting one, and the nodes' events. `SfuRegistry` is the real one (Redis
 * heartbeats, control connections); unit tests use a fake.
 */
export interface SfuNodes extends Pick<EventEmitter<SfuClientEvents>, 'on'> {
  /** Chooses a node for a new consultation; NO_MEDIA_CAPACITY when none can take it. */
  place(): Promise<string>;
  /** Chooses a node for a network test (pre-call); NO_MEDIA_CAPACITY when none serves. */
  probeNode(): Promise<string>;
  /** The RPC of a node hosting a consultation; NO_MEDIA_CAPACITY when the node is gone. */
  client(nodeId: string): Promise<SfuRpc>;
}
