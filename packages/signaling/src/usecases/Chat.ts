import { randomUUID } from 'node:crypto';
import { CHAT_PAGE_MAX, ConsultationState, ErrorCode, VisitaError, type ClientRequests } from '@visita/protocol';
import { roleOf } from '../notifier.ts';
import { chatPage } from '../store/ChatStore.ts';
import type { Identity } from '../tokens.ts';
import type { UseCaseContext } from './context.ts';
import type { Consultations } from './Consultations.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

/** Chat between the patient and the practitioner, while waiting or in the call. */
export class Chat {
  readonly #ctx: UseCaseContext;
  readonly #consultations: Consultations;

  constructor(ctx: UseCaseContext, consultations: Consultations) {
    this.#ctx = ctx;
    this.#consultations = consultations;
  }

  async send(identity: Identity, p: Req<'chat:send'>): Res<'chat:send'> {
    const c = await this.#consultations.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    const message = {
      id: randomUUID(),
      consultationId: c.id,
      from: roleOf(identity),
      text: p.text,
      at: this.#ctx.now(),
    };
    await this.#ctx.chat.append(message);
    this.#ctx.notify.toConsultation(c.id, 'chat:message', message);
    return message;
  }

  async history(identity: Identity, p: Req<'chat:history'>): Res<'chat:history'> {
    const c = await this.#consultations.authorize(identity, p.consultationId);
    return chatPage(await this.#ctx.chat.history(c.id), p.limit ?? CHAT_PAGE_MAX, p.before);
  }
}
