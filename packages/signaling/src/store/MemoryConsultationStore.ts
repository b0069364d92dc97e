import { ConsultationState, type PatientDevices } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { ConsultationStore, PatientRecord } from './ConsultationStore.ts';

/** In-memory twin of RedisConsultationStore. */
export class MemoryConsultationStore implements ConsultationStore {
  readonly #records = new Map<string, Consultation>();
  readonly #names = new Map<string, PatientRecord>();

  async create(c: Consultation, maxOpen = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.#records.has(c.id)) throw new Error(`consultation ${c.id} already exists`);
    let open = 0;
    for (const r of this.#records.values())
      if (r.practitionerId === c.practitionerId && r.state !== ConsultationState.ENDED) open++;
    if (open >= maxOpen) return false;
    this.#records.set(c.id, c);
    return true;
  }

  async get(id: string): Promise<Consultation | null> {
    return this.#records.get(id) ?? null;
  }

  async listByPractitioner(practitionerId: string, limit: number): Promise<Consultation[]> {
    return [...this.#records.values()]
      .filter((c) => c.practitionerId === practitionerId)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
  }

  async compareAndSet(expected: Consultation, next: Consultation): Promise<Consultation | null> {
    const c = this.#records.get(expected.id);
    if (!c || c.state !== expected.state || nodeOf(c) !== nodeOf(expected)) return null;
    if (next.id !== c.id || next.practitionerId !== c.practitionerId) return null;
    // The link version is the store's own (revocations between the read and the write are kept).
    const stored = { ...next, linkVersion: c.linkVersion };
    this.#records.set(c.id, stored);
    return stored;
  }

  async revokeLinks(id: string): Promise<number> {
    const c = this.#records.get(id);
    if (!c) return 0;
    this.#records.set(id, { ...c, linkVersion: c.linkVersion + 1 });
    return c.linkVersion + 1;
  }

  async hasCallInProgress(practitionerId: string): Promise<boolean> {
    for (const c of this.#records.values())
      if (c.practitionerId === practitionerId && c.state === ConsultationState.IN_CALL) return true;
    return false;
  }

  async inCallIds(): Promise<string[]> {
    return [...this.#records.values()].filter((c) => c.state === ConsultationState.IN_CALL).map((c) => c.id);
  }

  async setPatient(id: string, name: string, reason?: string | null, devices?: PatientDevices): Promise<void> {
    const old = this.#names.get(id);
    this.#names.set(id, {
      name,
      reason: reason === undefined ? (old?.reason ?? null) : reason,
      devices: devices ? { camera: devices.camera, microphone: devices.microphone } : (old?.devices ?? null),
    });
  }

  async getPatient(id: string): Promise<PatientRecord> {
    return this.#names.get(id) ?? { name: null, reason: null, devices: null };
  }
}

const nodeOf = (c: Consultation): string | null => (c.state === 'in_call' ? c.nodeId : null);
