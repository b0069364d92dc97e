import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { addAccount } from '../src/accounts/manage.ts';
import type { AuditRecord } from '../src/store/AuditStore.ts';
import { TestStack, testAccountStore } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
  const redis = new Redis(stack.redis.url);
  const store = testAccountStore(redis);
  await addAccount(store, { email: 'ops@visita.test', name: 'Ops', role: 'ops', password: 'ops password 123' });
  await addAccount(store, { email: 'other@visita.test', name: 'Dr Other', password: 'other password 123' });
  redis.disconnect();
});
afterAll(async () => {
  await stack?.stop();
});

const audit = async (token: string, query = '') => {
  const res = await fetch(`${stack.signalingUrl}/api/audit${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

it('records who checked in, messaged, admitted, joined media and ended — ids only — and exports it', async () => {
  const doctorToken = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
  const doctor = await stack.connect(doctorToken);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', {
    consultationId,
    displayName: 'Alice Martin',
    reason: 'private symptoms',
  });
  await doctor.request('waiting:message', { consultationId, text: 'secret free text' });
  await doctor.request('consultation:admit', { consultationId });
  await patient.produceAudio(consultationId);
  await patient.request('consultation:hangUp', { consultationId });

  const json = await audit(doctorToken);
  expect(json.status).toBe(200);
  const records = (JSON.parse(json.text) as { data: { records: AuditRecord[] } }).data.records.filter(
    (r) => r.consultationId === consultationId,
  );
  expect(records.map((r) => [r.action, r.actorRole])).toEqual([
    ['checked_in', 'patient'],
    ['message_sent', 'practitioner'],
    ['admitted', 'practitioner'],
    ['joined_media', 'patient'],
    ['ended', 'patient'],
  ]);
  expect(records.every((r) => r.instanceId === 'sig-test' && r.at > 0)).toBe(true);
  for (const secret of ['Alice', 'private symptoms', 'secret free text', patientToken])
    expect(json.text).not.toContain(secret);

  const csv = await audit(doctorToken, '?format=csv');
  expect(csv.type).toContain('text/csv');
  const lines = csv.text.trimEnd().split('\r\n');
  expect(lines[0]).toBe('id,at,action,actor_role,actor_id,consultation_id,practitioner_id,instance_id');
  const mine = lines.filter((l) => l.includes(consultationId));
  expect(mine.map((l) => l.split(',')[2])).toEqual(records.map((r) => r.action));
  expect(mine.map((l) => l.split(',')[0])).toEqual(records.map((r) => r.id));
});

it('lets a practitioner read only their own records, and ops everyone’s', async () => {
  const doctorToken = await stack.login();
  const otherToken = await stack.loginAs('other@visita.test', 'other password 123');
  const opsToken = await stack.loginAs('ops@visita.test', 'ops password 123');
  const other = await stack.createConsultation(otherToken);
  const p = await stack.connect(other.patientToken);
  await p.request('consultation:join', { consultationId: other.consultationId, displayName: 'Z' });

  const ids = (text: string) =>
    (JSON.parse(text) as { data: { records: AuditRecord[] } }).data.records.map((r) => r.consultationId);
  const doctorSees = ids((await audit(doctorToken)).text);
  const otherSees = ids((await audit(otherToken)).text);
  expect(doctorSees).not.toContain(other.consultationId);
  expect(otherSees).toEqual([other.consultationId]);
  const opsSees = ids((await audit(opsToken)).text);
  expect(opsSees).toContain(other.consultationId);
  expect(opsSees.length).toBe(doctorSees.length + otherSees.length);
  const demoId = JSON.parse((await audit(doctorToken)).text).data.records[0].practitionerId as string;
  expect(ids((await audit(opsToken, `?practitionerId=${demoId}`)).text)).toEqual(doctorSees);

  const forbidden = await audit(otherToken, `?practitionerId=${demoId}`);
  expect(forbidden.status).toBe(403);
  expect(JSON.parse(forbidden.text)).toMatchObject({ ok: false, code: ErrorCode.FORBIDDEN });
  expect((await audit(otherToken, '?format=xml')).status).toBe(400);
  expect((await audit('nope')).status).toBe(401);
});
