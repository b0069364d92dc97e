import { expect, it } from 'vitest';
import type { ConsultationView } from '@visita/protocol';
import { kindOf, sections } from './consultationList.ts';

const view = (id: string, over: Partial<ConsultationView>): ConsultationView => ({
  consultationId: id,
  state: 'waiting',
  createdAt: Number(id.slice(1)),
  scheduledAt: null,
  patientPresent: false,
  practitionerPresent: false,
  patientName: null,
  reason: null,
  practitionerName: null,
  practiceName: null,
  admittedAt: null,
  patientDevices: null,
  ...over,
});

it.each([
  [{ state: 'waiting', patientName: null }, 'unused'],
  [{ state: 'scheduled', scheduledAt: 5, patientName: null }, 'unused'],
  [{ state: 'waiting', patientName: 'Chloé' }, 'open'],
  [{ state: 'in_call', patientName: 'Chloé' }, 'open'],
  [{ state: 'ended', patientName: null }, 'ended'],
] as const)('%j is %s', (over, kind) => {
  expect(kindOf(view('c1', over))).toBe(kind);
});

it('a patient in the waiting room is listed there only; newest first; ended ones apart', () => {
  const list = [
    view('c1', { patientName: 'Chloé', patientPresent: true }),
    view('c2', {}),
    view('c3', { state: 'ended' }),
    view('c4', { state: 'in_call', patientName: 'Hugo' }),
  ];
  const s = sections(list, new Set(['c1']));
  expect(s.current.map((r) => [r.consultation.consultationId, r.kind])).toEqual([
    ['c4', 'open'],
    ['c2', 'unused'],
  ]);
  expect(s.ended.map((c) => c.consultationId)).toEqual(['c3']);
});
