import { randomUUID } from 'node:crypto';
import { ConsultationState, ErrorCode, VisitaError, type ConsultationView } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { Identity } from '../tokens.ts';
import type { UseCaseContext } from './context.ts';

/** Consultations as records: create, list, and who may see one (every other use case asks here). */
export class Consultations {
  readonly #ctx: UseCaseContext;

  constructor(ctx: UseCaseContext) {
    this.#ctx = ctx;
  }

  /**
   * A consultation now (its waiting room is open) or scheduled (opens at the patient's check-in);
   * TOO_MANY_OPEN when the practitioner already holds `maxOpenConsultations` not ended.
   */
  async create(
    practitionerId: string,
    opts: { scheduledAt?: number } = {},
    now = this.#ctx.now(),
  ): Promise<Consultation> {
    const at = opts.scheduledAt;
    const base = { id: randomUUID().replaceAll('-', ''), practitionerId, createdAt: now, linkVersion: 0 };
    const c: Consultation =
      at !== undefined && at > now
        ? { ...base, state: 'scheduled', scheduledAt: at }
        : { ...base, state: 'waiting', scheduledAt: null };
    if (!(await this.#ctx.store.create(c, this.#ctx.maxOpenConsultations)))
      throw new VisitaError(
        ErrorCode.TOO_MANY_OPEN,
        `this account already has ${this.#ctx.maxOpenConsultations} consultations open: end some first`,
      );
    return c;
  }

  /** The practitioner's consultation (NOT_FOUND for anyone else's). */
  async owned(identity: Identity, consultationId: string): Promise<Consultation> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'practitioners only');
    return this.authorize(identity, consultationId);
  }

  async list(practitionerId: string): Promise<ConsultationView[]> {
    const all = await this.#ctx.store.listByPractitioner(practitionerId, 50);
    return Promise.all(all.map((c) => this.view(c)));
  }

  /** The consultation, if `identity` may see it; NOT_FOUND otherwise (no existence leak). */
  async authorize(identity: Identity, consultationId: string): Promise<Consultation> {
    const c = await this.#ctx.store.get(consultationId);
    const allowed =
      c !== null &&
      (identity.kind === 'patient' ? identity.consultationId === c.id : identity.sub === c.practitionerId);
    if (!allowed) {
      if (identity.kind === 'patient' && identity.consultationId !== consultationId) {
        throw new VisitaError(ErrorCode.FORBIDDEN, 'this link is for another consultation');
      }
      throw new VisitaError(ErrorCode.NOT_FOUND, 'no such consultation');
    }
    if (identity.kind === 'patient' && identity.v !== c.linkVersion)
      throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'this link was revoked');
    return c;
  }

  /**
   * The consultation as its participants see it. The patient's reason (free text about their
   * health) only with `reason`: in the answer to a join, sent to that socket alone — never in
   * broadcasts, which cross instances through Redis (the adapter's stream keeps no patient text).
   */
  async view(c: Consultation, opts: { reason?: boolean } = {}): Promise<ConsultationView> {
    const [presence, patient, pending, practitionerName] = await Promise.all([
      this.#ctx.presentRoles(c.id),
      this.#ctx.store.getPatient(c.id),
      c.state === 'waiting' ? this.#ctx.admissions.get(c.id) : null,
      this.#ctx.practitionerName(c.practitionerId),
    ]);
    return {
      consultationId: c.id,
      state: c.state,
      createdAt: c.createdAt,
      scheduledAt: c.scheduledAt,
      patientPresent: presence.patient,
      practitionerPresent: presence.practitioner,
      patientName: patient.name,
      reason: opts.reason ? patient.reason : null,
      practitionerName,
      practiceName: this.#ctx.practiceName,
      admittedAt: c.state === ConsultationState.IN_CALL ? c.admittedAt : null,
      patientDevices: patient.devices,
      ...(pending ? { admission: { since: pending.since, etaMs: await this.#ctx.capacityEta() } } : {}),
    };
  }
}
