import { z } from 'zod';

/** Opaque ids: url-safe, bounded, so they can be used in Redis keys and URLs as they are. */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an id of 1-64 characters [A-Za-z0-9_-]');
/** mediasoup's own ids (uuid v4). */
export const MediaId = z.string().regex(/^[0-9a-f-]{36}$/i, 'expected a mediasoup id');

/** A staff account's role: `ops` accounts also see every practitioner's data (usage, audit). */
export const AccountRole = z.enum(['practitioner', 'ops']);
export type AccountRole = z.infer<typeof AccountRole>;

export const Role = { PATIENT: 'patient', PRACTITIONER: 'practitioner' } as const;
export type Role = (typeof Role)[keyof typeof Role];
