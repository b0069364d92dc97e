import { scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';
import express, { type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import { ErrorCode, VisitaError, fail, toAckErr, type PractitionerClaims } from '@visita/protocol';
import type { SignalingConfig } from '../config.ts';
import type { ConsultationService } from '../ConsultationService.ts';
import type { TokenService } from '../tokens.ts';

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
  INTERNAL: 500,
};

const Login = z.object({ email: z.string().email().max(200), password: z.string().min(1).max(200) });

/** Demo practitioner of `make start` (real accounts in Redis come with the waiting-room work). */
export const DEMO_PRACTITIONER_ID = 'demo-practitioner';

export interface HttpDeps {
  config: SignalingConfig;
  tokens: TokenService;
  consultations: ConsultationService;
  metrics: () => Promise<Record<string, number>>;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const { config, tokens, consultations } = deps;
  const salt = randomBytes(16);
  const demoHash = scryptSync(config.demo.password, salt, 32);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/metrics', async (_req, res) => {
    const m = await deps.metrics();
    res.type('text/plain').send(Object.entries(m).map(([k, v]) => `visita_${k} ${v}`).join('\n') + '\n');
  });

  app.post('/api/login', (req, res) => {
    const body = Login.safeParse(req.body);
    if (!body.success) return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'email and password are required'));
    const hash = scryptSync(body.data.password, salt, 32);
    const emailOk = body.data.email.toLowerCase() === config.demo.email.toLowerCase();
    if (!(timingSafeEqual(hash, demoHash) && emailOk)) {
      return void res.status(401).json(fail(ErrorCode.UNAUTHENTICATED, 'wrong email or password'));
    }
    const claims = { sub: DEMO_PRACTITIONER_ID, name: config.demo.name };
    res.json({ ok: true, data: { token: tokens.practitioner(claims, config.accessTokenTtlS), practitioner: { id: claims.sub, name: claims.name } } });
  });

  app.post('/api/consultations', requirePractitioner(tokens), async (_req, res, next) => {
    try {
      const me = res.locals['practitioner'] as PractitionerClaims;
      const c = await consultations.create(me.sub);
      const patientToken = tokens.patient({ sub: `pt-${c.id.slice(0, 12)}`, consultationId: c.id }, config.patientLinkTtlS);
      // The token rides in the fragment: browsers never send it to a server, so it stays out of access logs.
      const patientLink = `${config.publicUrl}/c/${c.id}#t=${patientToken}`;
      res.status(201).json({ ok: true, data: { consultationId: c.id, patientLink, patientToken } });
    } catch (e) {
      next(e);
    }
  });

  app.get('/api/consultations', requirePractitioner(tokens), async (_req, res, next) => {
    try {
      const me = res.locals['practitioner'] as PractitionerClaims;
      res.json({ ok: true, data: { consultations: await consultations.list(me.sub) } });
    } catch (e) {
      next(e);
    }
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json(fail(ErrorCode.NOT_FOUND, 'no such endpoint'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const body = (err as { type?: string }).type === 'entity.parse.failed' ? fail(ErrorCode.BAD_REQUEST, 'malformed JSON') : toAckErr(err);
    res.status(HTTP_STATUS[body.code]).json(body);
  });
  return app;
}

function requirePractitioner(tokens: TokenService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const identity = tokens.verify(token);
      if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'practitioners only');
      res.locals['practitioner'] = identity;
      next();
    } catch (e) {
      const err = toAckErr(e);
      res.status(err.code === ErrorCode.FORBIDDEN ? 403 : 401).json(err);
    }
  };
}
