import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { MeteringLog } from '../src/metering/MeteringLog.ts';
import { periodOf } from '../src/metering/Rater.ts';
import type { PractitionerUsage } from '../src/api/usage.ts';
import { TestStack, admittedCall, type TestClient } from './support/stack.ts';

// Metering end to end against real Redis: events → stream → rater → usage API and exports.
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start({
    env: {
      VISITA_METERING_HEARTBEAT_MS: '500',
      VISITA_PLANS: JSON.stringify([
        {
          id: 'per-second',
          currency: 'EUR',
          pricePerMinuteCents: 90,
          rounding: 'per_second',
          includedMinutesPerMonth: 0,
        },
      ]),
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const period = periodOf(Date.now());
async function usage(token: string, format = 'json'): Promise<string> {
  const res = await fetch(`${stack.signalingUrl}/api/usage?period=${period}&format=${format}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}
async function recordOf(token: string, consultationId: string, complete = true) {
  for (let i = 0; i < 100; i++) {
    const body = JSON.parse(await usage(token)) as { data: { practitioners: PractitionerUsage[] } };
    const r = body.data.practitioners.flatMap((p) => p.consultations).find((c) => c.consultationId === consultationId);
    if (r && r.complete === complete) return { record: r, all: body.data.practitioners };
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('no usage record');
}

async function callWithMedia(): Promise<{
  token: string;
  consultationId: string;
  doctor: TestClient;
  patient: TestClient;
  bothUpAt: number;
}> {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const doctor = await stack.connect(token);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: 'Metered' });
  await doctor.request('consultation:join', { consultationId });
  await new Promise((r) => setTimeout(r, 300)); // waiting time: must not be billed
  await doctor.request('consultation:admit', { consultationId });
  for (const who of [patient, doctor]) await who.sendAudio(consultationId);
  return { token, consultationId, doctor, patient, bothUpAt: Date.now() };
}

describe('metering', () => {
  it('bills admitted time with both media up, within a second, and exports exactly the API totals', async () => {
    const { token, consultationId, doctor, bothUpAt } = await callWithMedia();
    await new Promise((r) => setTimeout(r, 2_000));
    const endAt = Date.now();
    await doctor.request('consultation:hangUp', { consultationId });
    const { record, all } = await recordOf(token, consultationId);
    expect(Math.abs(record.billableMs - (endAt - bothUpAt))).toBeLessThan(1_000);
    expect(record.billedSeconds).toBe(Math.floor(record.billableMs / 1000));
    expect(record.planId).toBe('per-second');

    const mine = all.find((p) => p.practitionerId === record.practitionerId)!;
    expect(mine.billedSeconds).toBe(mine.consultations.reduce((s, c) => s + c.billedSeconds, 0));
    expect(mine.amountCents).toBe(Math.round((mine.billedSeconds * 90) / 60));

    const csv = (await usage(token, 'csv')).trimEnd().split('\r\n');
    expect(csv[0]).toBe('consultation_id,practitioner_id,period,plan_id,billable_ms,billed_seconds,complete,ended_at');
    expect(csv.slice(1).reduce((s, l) => s + Number(l.split(',')[5]), 0)).toBe(mine.billedSeconds);

    const lines = (await usage(token, 'meter-events'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ours = lines.find((l) => l.identifier === `visita-consultation-${consultationId}`);
    expect(ours).toMatchObject({
      event_name: 'visita_consultation_seconds',
      payload: { stripe_customer_id: record.practitionerId, value: String(record.billedSeconds) },
    });
    expect(lines.reduce((s, l) => s + Number(l.payload.value), 0)).toBe(
      mine.consultations.filter((c) => c.complete).reduce((s, c) => s + c.billedSeconds, 0),
    );
    // Exporting again gives the same identifiers (re-sending cannot bill twice).
    expect(await usage(token, 'meter-events')).toBe(await usage(token, 'meter-events'));
  });

  it('bills nothing while a microphone is produced but sends no RTP: media up is its first packet at the node', async () => {
    const { token, consultationId, doctor, patient } = await admittedCall(stack, { displayName: 'Silent' });
    await patient.sendAudio(consultationId);
    await doctor.produceAudio(consultationId); // a producer, but its transport never connects
    await new Promise((r) => setTimeout(r, 1_500));
    await doctor.request('consultation:hangUp', { consultationId });
    const { record } = await recordOf(token, consultationId);
    expect(record.billableMs).toBe(0);
  });

  it("starts billing at the later microphone's first packet, to 100 ms, not when its producer was created", async () => {
    const { token, consultationId, doctor, patient } = await admittedCall(stack, { displayName: 'Slow microphone' });
    await doctor.sendAudio(consultationId);
    const producedAt = Date.now();
    // The patient's microphone takes 800 ms to give sound after its producer exists.
    const { firstSentAt } = await patient.sendAudio(consultationId, 800);
    await new Promise((r) => setTimeout(r, 500));
    await doctor.request('consultation:hangUp', { consultationId });
    const { record } = await recordOf(token, consultationId);
    expect(firstSentAt - producedAt).toBeGreaterThanOrEqual(800);
    expect(Math.abs(record.intervals[0]!.start - firstSentAt)).toBeLessThanOrEqual(100);
  });

  it('loses no metering event when redis-server restarts mid-consultation (AOF)', async () => {
    const { token, consultationId, doctor, bothUpAt } = await callWithMedia();
    await new Promise((r) => setTimeout(r, 600));
    await stack.redis.restart();
    await new Promise((r) => setTimeout(r, 1_000));
    const endAt = Date.now();
    const ended = await doctor.request('consultation:hangUp', { consultationId });
    expect(ended).toMatchObject({ ok: true });
    const { record } = await recordOf(token, consultationId);
    // The admission and both media-up facts written before the restart survived: the whole call is billed.
    expect(Math.abs(record.billableMs - (endAt - bothUpAt))).toBeLessThan(1_000);
  });

  it('records a fact once however often it is appended, and raters agree whoever rates', async () => {
    const redis = new Redis(stack.redis.url);
    try {
      const log = new MeteringLog(redis);
      const e = {
        key: `dup-${Date.now()}:admitted`,
        type: 'admitted' as const,
        consultationId: `dup${Date.now()}`,
        practitionerId: 'pr-x',
        at: 1_000,
      };
      const results = await Promise.all([log.append(e), log.append(e), log.append({ ...e, at: 2_000 })]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await log.history(e.consultationId)).toHaveLength(1);
      await expect(log.append({ ...e, key: '' })).rejects.toThrow();
    } finally {
      redis.disconnect();
    }
  });

  it('refuses another practitioner’s usage and a bad period', async () => {
    const token = await stack.login();
    const bad = await fetch(`${stack.signalingUrl}/api/usage?period=2026-13`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(400);
    const other = await fetch(`${stack.signalingUrl}/api/usage?period=${period}&practitionerId=pr-other`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(403);
    expect((await fetch(`${stack.signalingUrl}/api/usage?period=${period}`)).status).toBe(401);
  });
});
