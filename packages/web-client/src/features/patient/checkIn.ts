import type { CheckIn } from '../precall/DeviceCheck.tsx';

/** What the patient typed, kept for this tab: a reload goes straight back to the waiting room. */
export const checkInKey = (consultationId: string) => `visita.checkin.${consultationId}`;
export function savedCheckIn(consultationId: string): Pick<CheckIn, 'name' | 'reason'> | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(checkInKey(consultationId)) ?? 'null') as Pick<
      CheckIn,
      'name' | 'reason'
    > | null;
    return v && typeof v.name === 'string' && v.name.trim() && typeof v.reason === 'string' ? v : null;
  } catch {
    return null;
  }
}
