import { z } from 'zod';

// Metering events: appended to a Redis stream with an idempotency key (never derived from a
// Socket.IO emit alone), then rated into usage records. Times are epoch milliseconds.
export const MeteringEventType = {
  ADMITTED: 'admitted',
  MEDIA_UP: 'media_up',
  MEDIA_DOWN: 'media_down',
  HEARTBEAT: 'heartbeat',
  ENDED: 'ended',
} as const;
export type MeteringEventType = (typeof MeteringEventType)[keyof typeof MeteringEventType];

export const MeteringEvent = z.object({
  /** Idempotency key: the same fact sent twice carries the same key and counts once. */
  key: z.string().min(1).max(200),
  type: z.enum(['admitted', 'media_up', 'media_down', 'heartbeat', 'ended']),
  consultationId: z.string().min(1).max(64),
  practitionerId: z.string().min(1).max(64),
  /** For media events: whose media. */
  role: z.enum(['patient', 'practitioner']).optional(),
  at: z.number().int().nonnegative(),
});
export type MeteringEvent = z.infer<typeof MeteringEvent>;
