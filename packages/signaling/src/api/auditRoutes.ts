import type express from 'express';
import { z } from 'zod';
import { ErrorCode, Id, fail, ok, type AuditList, type PractitionerClaims } from '@visita/protocol';
import type { AuditStore } from '../store/AuditStore.ts';
import { auditCsv } from './auditCsv.ts';

/** Epoch milliseconds in a query: digits only (an empty `?to=` used to read as 0 and return nothing). */
const EpochMsParam = z
  .string()
  .regex(/^[0-9]+$/, 'expected epoch milliseconds')
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));
const AuditQuerySchema = z.object({
  format: z.enum(['json', 'csv']).default('json'),
  practitionerId: Id.optional(),
  from: EpochMsParam.optional(),
  to: EpochMsParam.optional(),
});

export function auditRoutes(app: express.Express, practitionerOnly: express.RequestHandler, audit: AuditStore): void {
  // The audit log: a practitioner reads their own consultations' records, ops everyone's
  // (or one practitioner's with ?practitionerId=). JSON, or CSV with ?format=csv (data portability).
  app.get('/api/audit', practitionerOnly, async (req, res, next) => {
    try {
      const q = AuditQuerySchema.safeParse(req.query);
      if (!q.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, q.error.issues[0]?.message ?? 'invalid query'));
      const me = res.locals['practitioner'] as PractitionerClaims;
      if (q.data.practitionerId && q.data.practitionerId !== me.sub && me.role !== 'ops') {
        return void res
          .status(403)
          .json(fail(ErrorCode.FORBIDDEN, 'only ops can read another practitioner’s audit log'));
      }
      const practitionerId = me.role === 'ops' ? q.data.practitionerId : me.sub;
      const records = await audit.list({
        ...(practitionerId ? { practitionerId } : {}),
        ...(q.data.from !== undefined ? { from: q.data.from } : {}),
        ...(q.data.to !== undefined ? { to: q.data.to } : {}),
      });
      if (q.data.format === 'csv') {
        res.type('text/csv').attachment('visita-audit.csv').send(auditCsv(records));
      } else {
        res.json(ok<AuditList>({ records }));
      }
    } catch (e) {
      next(e);
    }
  });
}
