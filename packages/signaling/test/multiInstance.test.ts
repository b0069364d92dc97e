import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type AckOk, type ConsultationList, type ConsultationView } from '@visita/protocol';
import { audioRtpParameters } from '../../sfu/test/fixtures.ts';
import { MultiStack } from './support/multiStack.ts';
import { waitForUsage } from './support/stack.ts';

// Several real signaling processes on one Redis (Redis Streams adapter, presence with TTL).
const PRESENCE_TTL_MS = 1_500;
let stack: MultiStack;
beforeAll(async () => {
  stack = await MultiStack.start(3, { VISITA_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) });
});
afterAll(async () => {
  await stack?.stop();
});

const listOn = async (i: number, token: string): Promise<ConsultationView[]> => {
  const res = await fetch(`${stack.url(i)}/api/consultations`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as AckOk<ConsultationList>).data.consultations;
};

describe('signaling across instances', () => {
  afterAll(() => {
    // Logs carry ids only: no patient names, tokens or messages, at any level.
    const logs = stack.instances.map((p) => p.log).join('\n');
    expect(logs).toMatch(/"msg":"patient admitted"/);
    for (const secret of ['Alice', 'Bob', 'Chloé', 'Dana', 'eyJ']) expect(logs).not.toContain(secret);
  });

  it('runs a consultation with the patient on instance A and the practitioner on instance B', async () => {
    const token = await stack.login(0);
    const { consultationId, patientToken } = await stack.createConsultation(token, 0);
    const doctor = await stack.connect(token, 1);
    const patient = await stack.connect(patientToken, 0);
    await doctor.request('consultation:join', { consultationId });
    const seen = doctor.next('consultation:updated');
    await patient.request('consultation:join', { consultationId, displayName: 'Alice' });
    expect(await seen).toMatchObject({ patientPresent: true, patientName: 'Alice' });

    const admitted = patient.next('consultation:admitted');
    expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({ ok: true });
    expect(await admitted).toMatchObject({ state: 'in_call' });

    const send = await patient.request('media:createTransport', { consultationId, direction: 'send' });
    if (!send.ok) throw new Error(send.message);
    const newProducer = doctor.next('media:newProducer');
    const produced = await patient.request('media:produce', {
      consultationId,
      transportId: send.data.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    expect(await newProducer).toMatchObject({ producerId: produced.ok && produced.data.producerId, role: 'patient' });

    const ended = patient.next('consultation:ended');
    await doctor.request('consultation:hangUp', { consultationId });
    expect(await ended).toEqual({ consultationId, reason: 'hung_up', by: 'practitioner', callMs: expect.any(Number) });
    expect(stack.sfu.node.roomIds).not.toContain(consultationId);
  });

  it('caps the sockets of one patient link across instances', async () => {
    const { patientToken } = await stack.createConsultation(await stack.login(0), 0);
    const held = [
      await stack.connect(patientToken, 0),
      await stack.connect(patientToken, 0),
      await stack.connect(patientToken, 1),
      await stack.connect(patientToken, 1),
    ];
    await expect(stack.connect(patientToken, 2)).rejects.toMatchObject({ data: { code: ErrorCode.RATE_LIMITED } });
    const gone = new Promise((r) => setTimeout(r, 300));
    held[0]!.socket.close();
    await gone;
    const fifth = await stack.connect(patientToken, 2);
    expect(fifth.socket.connected).toBe(true);
    for (const c of [...held, fifth]) c.socket.close();
  });

  it('lets exactly one of two concurrent admits from two instances win', async () => {
    const token = await stack.login(0);
    for (let round = 0; round < 5; round++) {
      const { consultationId, patientToken } = await stack.createConsultation(token, 0);
      const patient = await stack.connect(patientToken, 2);
      await patient.request('consultation:join', { consultationId, displayName: 'Bob' });
      const [onA, onB] = await Promise.all([stack.connect(token, 0), stack.connect(token, 1)]);
      const results = await Promise.all([
        onA.request('consultation:admit', { consultationId }),
        onB.request('consultation:admit', { consultationId }),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, code: ErrorCode.INVALID_STATE });
      expect(stack.sfu.node.roomIds.filter((id) => id === consultationId)).toHaveLength(1);
      await onA.request('consultation:hangUp', { consultationId });
      expect(stack.sfu.node.roomIds).not.toContain(consultationId);
    }
  });

  it('resolves an admit racing the patient’s departure on another instance to one outcome', async () => {
    const token = await stack.login(0);
    for (let round = 0; round < 5; round++) {
      const { consultationId, patientToken } = await stack.createConsultation(token, 0);
      const patient = await stack.connect(patientToken, 2);
      await patient.request('consultation:join', { consultationId, displayName: 'Racer' });
      const doctor = await stack.connect(token, 1);
      const [admit, leave] = await Promise.all([
        doctor.request('consultation:admit', { consultationId }),
        patient.request('consultation:hangUp', { consultationId }),
      ]);
      const final = (await listOn(0, token)).find((c) => c.consultationId === consultationId)!;
      if (admit.ok) {
        // The admit won: the departure was refused, or it ended the call the admit had started.
        expect(leave.ok ? final.state : 'in_call').toBe(leave.ok ? 'ended' : 'in_call');
        if (!leave.ok) await doctor.request('consultation:hangUp', { consultationId });
      } else {
        expect(leave).toMatchObject({ ok: true });
        expect(final.state).toBe('ended');
      }
      expect(stack.sfu.node.roomIds.filter((id) => id === consultationId).length).toBeLessThanOrEqual(
        final.state === 'in_call' ? 1 : 0,
      );
    }
  });

  it('expires the presence of a killed instance’s patient, who comes back through another instance in the same place', async () => {
    const token = await stack.login(1);
    const { consultationId, patientToken } = await stack.createConsultation(token, 1);
    const doctor = await stack.connect(token, 1);
    await doctor.request('consultation:join', { consultationId });
    const patient = await stack.connect(patientToken, 0);
    await patient.request('consultation:join', { consultationId, displayName: 'Chloé' });
    expect((await listOn(1, token)).find((c) => c.consultationId === consultationId)).toMatchObject({
      patientPresent: true,
    });

    await doctor.request('queue:watch', {});
    const pushed = doctor.until(
      'queue:updated',
      (q) => q.entries.some((e) => e.consultationId === consultationId && !e.present),
      PRESENCE_TTL_MS * 4,
    );
    await stack.instances[0]!.kill('SIGKILL');
    // The dashboard is told without asking (the sweeper sees the presence lapse)...
    await pushed;
    // ...and the API agrees: nobody removed the record, it stopped counting once the heartbeats stopped.
    const deadline = Date.now() + PRESENCE_TTL_MS * 3;
    let view: ConsultationView | undefined;
    do {
      await new Promise((r) => setTimeout(r, 200));
      view = (await listOn(1, token)).find((c) => c.consultationId === consultationId);
    } while (view?.patientPresent && Date.now() < deadline);
    expect(view).toMatchObject({ state: 'waiting', patientPresent: false });

    // Meanwhile another patient checks in through instance 2, behind Chloé.
    const other = await stack.createConsultation(token, 1);
    const dana = await stack.connect(other.patientToken, 2);
    await dana.request('consultation:join', { consultationId: other.consultationId, displayName: 'Dana' });

    // Chloé's client reconnects to a surviving instance and takes up her place: still first.
    const back = await stack.connect(patientToken, 2);
    const seen = doctor.next('consultation:updated');
    const position = back.until('waiting:position', (p) => p.consultationId === consultationId);
    expect(await back.request('consultation:join', { consultationId, displayName: 'Chloé' })).toMatchObject({
      ok: true,
      data: { state: 'waiting' },
    });
    expect(await seen).toMatchObject({ patientPresent: true, patientName: 'Chloé' });
    const queue = await doctor.request('queue:watch', {});
    const names = queue.ok ? queue.data.entries.map((e) => e.patientName) : [];
    expect(names.indexOf('Chloé')).toBeLessThan(names.indexOf('Dana'));
    expect((await position).position).toBe(names.indexOf('Chloé') + 1);
    // Dana, on another instance than the practitioner, moves up when Chloé is admitted.
    const danaMoves = dana.until('waiting:position', (p) => p.position === names.indexOf('Dana'));
    expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({
      ok: true,
      data: { state: 'in_call' },
    });
    await danaMoves;
    await doctor.request('consultation:hangUp', { consultationId });
    await doctor.request('consultation:hangUp', { consultationId: other.consultationId });
  });
  // Runs last: instance 0 is already dead, this one kills instance 2.
  it('bills a call across the SIGKILL of the patient’s instance with no gap and no double count', async () => {
    const token = await stack.login(1);
    const { consultationId, patientToken } = await stack.createConsultation(token, 1);
    const doctor = await stack.connect(token, 1);
    const patient = await stack.connect(patientToken, 2);
    await patient.request('consultation:join', { consultationId, displayName: 'Crash' });
    await doctor.request('consultation:join', { consultationId });
    await doctor.request('consultation:admit', { consultationId });
    await patient.sendAudio(consultationId);
    await doctor.sendAudio(consultationId);
    const bothUpAt = Date.now();
    await new Promise((r) => setTimeout(r, 800));
    await stack.instances[2]!.kill('SIGKILL');
    // The patient's client reconnects elsewhere, joins the call again and rebuilds its media.
    const back = await stack.connect(patientToken, 1);
    expect(await back.request('consultation:join', { consultationId })).toMatchObject({
      ok: true,
      data: { state: 'in_call' },
    });
    await back.sendAudio(consultationId);
    await new Promise((r) => setTimeout(r, 800));
    const endAt = Date.now();
    await doctor.request('consultation:hangUp', { consultationId });
    const record = await waitForUsage(stack.url(1), token, consultationId);
    expect(record.intervals).toHaveLength(1);
    expect(Math.abs(record.billableMs - (endAt - bothUpAt))).toBeLessThan(1_000);
  });
});
