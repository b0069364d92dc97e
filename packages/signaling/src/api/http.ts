import express, { type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import {
  ErrorCode,
  LoginRequest,
  VisitaError,
  fail,
  ok,
  toAckErr,
  type AuditList,
  type ConsultationLink,
  type ConsultationList,
  type CreatedConsultation,
  type LoggedOut,
  type LoginResponse,
  type PractitionerClaims,
  type RevokedLinks,
} from '@visita/protocol';
import type { SignalingConfig } from '../config.ts';
import { toGrant, type AccountService } from '../accounts/AccountService.ts';
import type { TwoFactorService } from '../accounts/TwoFactorService.ts';
import { twoFactorRoutes } from './twoFactor.ts';
import type { ConsultationService } from '../ConsultationService.ts';
import type { RateLimits } from '../rateLimits.ts';
import type { AuditStore } from '../store/AuditStore.ts';
import { auditCsv } from './auditCsv.ts';
import type { PlanBook } from '../metering/PlanBook.ts';
import type { UsageStore } from '../metering/UsageStore.ts';
import { usageRoutes } from './usage.ts';
import type { TokenService } from '../tokens.ts';
import type { Logger } from '../logger.ts';
import { randomUUID } from 'node:crypto';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  PROTOCOL_MISMATCH: 400,
  NO_MEDIA_CAPACITY: 503,
  MEDIA_ERROR: 502,
  TIMEOUT: 504,
  RATE_LIMITED: 429,
  LIMIT_EXCEEDED: 429,
  INTERNAL: 500,
};

/** Epoch milliseconds in a query: digits only (an empty `?to=` used to read as 0 and return nothing). */
const EpochMsParam = z
  .string()
  .regex(/^[0-9]+$/, 'expected epoch milliseconds')
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));
const AuditQuerySchema = z.object({
  format: z.enum(['json', 'csv']).default('json'),
  practitionerId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  from: EpochMsParam.optional(),
  to: EpochMsParam.optional(),
});
const CreateConsultation = z.object({
  /** Epoch milliseconds of the appointment; absent: the waiting room opens now. */
  scheduledAt: z.number().int().positive().max(8_640_000_000_000).optional(),
});
const Refresh = z.object({ refreshToken: z.string().min(20).max(200) });

export interface HttpDeps {
  config: SignalingConfig;
  tokens: TokenService;
  consultations: ConsultationService;
  accounts: AccountService;
  twoFactor: TwoFactorService;
  audit: AuditStore;
  usage: UsageStore;
  plans: PlanBook;
  limits: RateLimits;
  metrics: () => Promise<Record<string, number>>;
  log: Logger;
  /** A session was logged out: close its sockets. */
  onLogout: (sessionId: string) => void;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const { config, tokens, consultations, accounts, limits } = deps;
  const app = express();
  app.disable('x-powered-by');
  // The client address is the connection's, unless it comes from a configured proxy (the web
  // client's server), which sets X-Forwarded-For itself. Nobody else's header is believed.
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);
  app.use((_req, res, next) => {
    res.locals['requestId'] = randomUUID();
    next();
  });
  app.use(express.json({ limit: '16kb', inflate: true }));

  const practitionerOnly = requirePractitioner(tokens, accounts);

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/metrics', async (_req, res) => {
    const m = await deps.metrics();
    res.type('text/plain').send(
      `${Object.entries(m)
        .map(([k, v]) => `visita_${k} ${v}`)
        .join('\n')}\n`,
    );
  });

  app.post('/api/login', async (req, res, next) => {
    try {
      const body = LoginRequest.safeParse(req.body);
      if (!body.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'email and password are required'));
      const from = req.ip ?? 'unknown';
      // Only failures count: the attempt's points come back when the password is right.
      const attempt = await limits.login.attempt(body.data.email, from);
      const outcome = await accounts.login(body.data.email, body.data.password, from, attempt.known);
      // With a second factor the password alone is no success: its point stays counted until the code is right.
      if (outcome.kind === 'challenge')
        return void res.json(ok<LoginResponse>({ twoFactorRequired: true, challenge: outcome.challenge }));
      await attempt.succeeded();
      res.json(ok<LoginResponse>(toGrant(outcome.session)));
    } catch (e) {
      next(e);
    }
  });

  app.post('/api/refresh', async (req, res, next) => {
    try {
      const body = Refresh.safeParse(req.body);
      if (!body.success) return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'refreshToken is required'));
      const session = await accounts.refresh(body.data.refreshToken);
      res.json(ok(toGrant(session)));
    } catch (e) {
      next(e);
    }
  });

  /** Ends the session: its refresh token is gone, its access tokens refused, its sockets closed. */
  app.post('/api/logout', async (req, res, next) => {
    try {
      const body = Refresh.safeParse(req.body);
      if (!body.success) return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'refreshToken is required'));
      const sessionId = await accounts.logout(body.data.refreshToken);
      if (sessionId) deps.onLogout(sessionId);
      res.json(ok<LoggedOut>({ loggedOut: true }));
    } catch (e) {
      next(e);
    }
  });

  // A patient link: the token rides in the fragment, which browsers never send to a server, so it
  // stays out of access logs. It expires (VISITA_PATIENT_LINK_TTL_S) and can be revoked.
  const patientLink = (consultationId: string, version: number) => {
    const patientToken = tokens.patient(
      { sub: `pt-${consultationId.slice(0, 12)}`, consultationId, v: version },
      config.patientLinkTtlS,
    );
    return { patientToken, patientLink: `${config.publicUrl}/c/${consultationId}#t=${patientToken}` };
  };

  app.post('/api/consultations', practitionerOnly, async (req, res, next) => {
    try {
      const body = CreateConsultation.safeParse(req.body ?? {});
      if (!body.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, body.error.issues[0]?.message ?? 'invalid body'));
      const me = res.locals['practitioner'] as PractitionerClaims;
      const c = await consultations.consultations.create(
        me.sub,
        body.data.scheduledAt !== undefined ? { scheduledAt: body.data.scheduledAt } : {},
      );
      res.status(201).json(
        ok<CreatedConsultation>({
          consultationId: c.id,
          state: c.state,
          scheduledAt: c.scheduledAt,
          ...patientLink(c.id, c.linkVersion),
        }),
      );
    } catch (e) {
      next(e);
    }
  });

  /** A fresh link for the consultation (to send again, or after a revocation). */
  app.post('/api/consultations/:id/link', practitionerOnly, async (req, res, next) => {
    try {
      const c = await consultations.consultations.owned(
        res.locals['practitioner'] as PractitionerClaims,
        String(req.params['id']),
      );
      res.status(201).json(ok<ConsultationLink>({ consultationId: c.id, ...patientLink(c.id, c.linkVersion) }));
    } catch (e) {
      next(e);
    }
  });

  /** Revokes every link issued so far; connected patients are disconnected. */
  app.post('/api/consultations/:id/revoke', practitionerOnly, async (req, res, next) => {
    try {
      const version = await consultations.waitingRoom.revokeLinks(
        res.locals['practitioner'] as PractitionerClaims,
        String(req.params['id']),
      );
      res.json(ok<RevokedLinks>({ revoked: true, linkVersion: version }));
    } catch (e) {
      next(e);
    }
  });

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
      const records = await deps.audit.list({
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

  usageRoutes(app, practitionerOnly, deps.usage, deps.plans);
  twoFactorRoutes(app, practitionerOnly, { accounts, twoFactor: deps.twoFactor, limits });

  app.get('/api/consultations', practitionerOnly, async (_req, res, next) => {
    try {
      const me = res.locals['practitioner'] as PractitionerClaims;
      res.json(ok<ConsultationList>({ consultations: await consultations.consultations.list(me.sub) }));
    } catch (e) {
      next(e);
    }
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json(fail(ErrorCode.NOT_FOUND, 'no such endpoint'));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const client = clientError(err);
    if (client) return void res.status(client.status).json(fail(ErrorCode.BAD_REQUEST, client.message));
    const body = toAckErr(err);
    if (body.code === ErrorCode.INTERNAL) {
      deps.log.error(
        { requestId: res.locals['requestId'], route: req.route?.path ?? 'unknown', err: (err as Error)?.message },
        'request failed',
      );
    }
    res
      .status(HTTP_STATUS[body.code])
      .json(
        body.code === ErrorCode.INTERNAL
          ? fail(ErrorCode.INTERNAL, `internal error (request ${res.locals['requestId']})`)
          : body,
      );
  });
  return app;
}

/** A body the client got wrong (body-parser's errors carry a 4xx status and a type): never a 500. */
function clientError(err: unknown): { status: number; message: string } | null {
  const e = err as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return { status: 400, message: 'malformed JSON' };
    case 'entity.too.large':
      return { status: 413, message: 'request body too large' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'unsupported content encoding or charset' };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return { status: 400, message: 'invalid request body' };
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, message: 'invalid request' };
  return null;
}

function requirePractitioner(tokens: TokenService, accounts: AccountService) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const identity = tokens.verify(token);
      if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'practitioners only');
      if (await accounts.isRevoked(identity.sid))
        throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'logged out: please log in again');
      res.locals['practitioner'] = identity;
      next();
    } catch (e) {
      const err = toAckErr(e);
      res.status(err.code === ErrorCode.FORBIDDEN ? 403 : err.code === ErrorCode.INTERNAL ? 503 : 401).json(err);
    }
  };
}
