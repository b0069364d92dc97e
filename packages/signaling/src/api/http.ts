import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ErrorCode, VisitaError } from '@visita/protocol';
import { answerFor } from '../redis/answer.ts';
import type { RedisHealth } from '../redis/RedisHealth.ts';
import type { AccountService } from '../accounts/AccountService.ts';
import type { DeviceTokens } from '../accounts/DeviceTokens.ts';
import type { TwoFactorService } from '../accounts/TwoFactorService.ts';
import type { SignalingConfig } from '../config.ts';
import type { ConsultationService } from '../ConsultationService.ts';
import type { Logger } from '../logger.ts';
import type { PlanBook } from '../metering/PlanBook.ts';
import type { UsageStore } from '../metering/UsageStore.ts';
import type { RateLimits } from '../rateLimits.ts';
import type { AuditStore } from '../store/AuditStore.ts';
import type { TokenService } from '../tokens.ts';
import { auditRoutes } from './auditRoutes.ts';
import { consultationRoutes } from './consultationRoutes.ts';
import { errorHandlers } from './errors.ts';
import { sessionRoutes } from './sessionRoutes.ts';
import { twoFactorRoutes } from './twoFactor.ts';
import { opsRoutes, type OpsSources } from './opsRoutes.ts';
import { usageRoutes } from './usage.ts';

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
  devices: DeviceTokens;
  log: Logger;
  /** Where GET /api/ops/status reads its picture. */
  ops: OpsSources;
  /** A session was logged out: close its sockets. */
  onLogout: (sessionId: string) => void;
  /** Whether Redis can be reached (GET /readyz). */
  health: Pick<RedisHealth, 'available'>;
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

  // Alive (the process answers): what a supervisor checks before restarting it.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // Ready for new work: Redis reachable. Calls in progress go on either way; a load balancer sends
  // newcomers to another instance meanwhile.
  app.get('/readyz', (_req, res) => {
    if (deps.health.available) res.json({ ok: true });
    else res.status(503).json({ ok: false, code: ErrorCode.UNAVAILABLE, message: 'redis out of reach' });
  });

  sessionRoutes(app, { accounts, limits, devices: deps.devices, onLogout: deps.onLogout });
  consultationRoutes(app, practitionerOnly, { config, tokens, consultations, limits });
  auditRoutes(app, practitionerOnly, deps.audit);
  usageRoutes(app, practitionerOnly, deps.usage, deps.plans);
  opsRoutes(app, practitionerOnly, deps.ops);
  twoFactorRoutes(app, practitionerOnly, {
    accounts,
    twoFactor: deps.twoFactor,
    limits,
    devices: deps.devices,
    onLogout: deps.onLogout,
  });
  app.use(...errorHandlers(deps.log));
  return app;
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
      const err = answerFor(e);
      res
        .status(
          err.code === ErrorCode.FORBIDDEN
            ? 403
            : err.code === ErrorCode.INTERNAL || err.code === ErrorCode.UNAVAILABLE
              ? 503
              : 401,
        )
        .json(err);
    }
  };
}
