import type express from 'express';
import {
  ErrorCode,
  LoginSecondStepRequest,
  TwoFactorDisableRequest,
  TwoFactorEnableRequest,
  fail,
  ok,
  type PractitionerClaims,
  type SessionGrant,
  type TwoFactorEnabled,
  type TwoFactorSetup,
  type TwoFactorStatus,
} from '@visita/protocol';
import { toGrant, type AccountService } from '../accounts/AccountService.ts';
import type { TwoFactorService } from '../accounts/TwoFactorService.ts';
import type { RateLimits } from '../rateLimits.ts';

/**
 * The second step of a login, and the practitioner's own second factor:
 * - `POST /api/login/2fa { challenge, code }` → the session (code: 6 digits or a recovery code);
 * - `GET /api/2fa` → `{ enabled, recoveryCodesLeft }`;
 * - `POST /api/2fa/setup` → a pending secret and its otpauth URI;
 * - `POST /api/2fa/enable { code }` → the 10 recovery codes, shown once;
 * - `POST /api/2fa/disable { code }` (a current code or a recovery code).
 * Codes tried at login and to disable count against the login limits.
 */
export function twoFactorRoutes(
  app: express.Express,
  practitionerOnly: express.RequestHandler,
  deps: { accounts: AccountService; twoFactor: TwoFactorService; limits: RateLimits },
): void {
  const { accounts, twoFactor, limits } = deps;
  const me = (res: express.Response) => (res.locals['practitioner'] as PractitionerClaims).sub;

  app.post('/api/login/2fa', async (req, res, next) => {
    try {
      const body = LoginSecondStepRequest.safeParse(req.body);
      if (!body.success)
        return void res
          .status(400)
          .json(fail(ErrorCode.BAD_REQUEST, 'a challenge and a 6-digit or recovery code are required'));
      const from = req.ip ?? 'unknown';
      const session = await accounts.completeLogin(body.data.challenge, body.data.code, (email) =>
        limits.login.attempt(email, from),
      );
      res.json(ok<SessionGrant>(toGrant(session)));
    } catch (e) {
      next(e);
    }
  });

  app.get('/api/2fa', practitionerOnly, async (_req, res, next) => {
    try {
      res.json(ok<TwoFactorStatus>(await twoFactor.status(me(res))));
    } catch (e) {
      next(e);
    }
  });

  app.post('/api/2fa/setup', practitionerOnly, async (_req, res, next) => {
    try {
      res.set('cache-control', 'no-store').json(ok<TwoFactorSetup>(await twoFactor.setup(me(res))));
    } catch (e) {
      next(e);
    }
  });

  app.post('/api/2fa/enable', practitionerOnly, async (req, res, next) => {
    try {
      const body = TwoFactorEnableRequest.safeParse(req.body);
      if (!body.success) return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'a 6-digit code is required'));
      res.set('cache-control', 'no-store').json(ok<TwoFactorEnabled>(await twoFactor.enable(me(res), body.data.code)));
    } catch (e) {
      next(e);
    }
  });

  app.post('/api/2fa/disable', practitionerOnly, async (req, res, next) => {
    try {
      const body = TwoFactorDisableRequest.safeParse(req.body);
      if (!body.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'a 6-digit or recovery code is required'));
      const from = req.ip ?? 'unknown';
      await twoFactor.disable(me(res), body.data.code, (email) => limits.login.attempt(email, from));
      res.json(ok<TwoFactorStatus>({ enabled: false, recoveryCodesLeft: 0 }));
    } catch (e) {
      next(e);
    }
  });
}
