import type { TestStack } from '@visita/signaling/testing';

export interface SentWindow {
  after: number;
  by: number;
}

/**
 * Where a call's bill must start, found outside the metering: a side's media reaches the SFU once
 * its first packet is sent (`firstAudioSent`'s window) and its producer exists (the audit's first
 * joined_media of that side, written just after the producer's creation); packets sent before that
 * are dropped by the node. The later side starts the bill: within [lo, hi].
 */
export async function billingStartWindow(
  stack: TestStack,
  consultationId: string,
  sent: { patient: SentWindow; practitioner: SentWindow },
): Promise<{ lo: number; hi: number }> {
  const records = (await stack.signaling.audit.list({})).filter(
    (r) => r.consultationId === consultationId && r.action === 'joined_media',
  );
  const produced = (role: 'patient' | 'practitioner') =>
    Math.min(...records.filter((r) => r.actorRole === role).map((r) => r.at));
  return {
    lo: Math.max(sent.patient.after, sent.practitioner.after),
    hi: Math.max(
      Math.max(sent.patient.by, produced('patient')),
      Math.max(sent.practitioner.by, produced('practitioner')),
    ),
  };
}
