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
import type { DeviceTokens } from '../accounts/DeviceTokens.ts';
import type { TwoFactorService } from '../accounts/TwoFactorService.ts';
import type { RateLimits } from '../rateLimits.ts';

/**
 * The second step of a login, and the practitioner's own second factor:
 * - `POST /api/login/2fa { challenge, code }` → the session (code: 6 digits or a recovery code);
 * - `GET /api/2fa` → `{ enabled, recoveryCodesLeft }`;
 * - `POST /api/2fa/setup` → a pending secret and its otpauth URI;
 * - `POST /api/2fa/enable { code }` → the 10 recovery codes, shown once; every other session of
 *   the account ends (opened with the password alone, they must log in again with a code);
 * - `POST /api/2fa/disable { code }` (a current code or a recovery code).
 * Codes tried at login and to disable count against the login limits and the account's code budget.
 */
export function twoFactorRoutes(
  app: express.Express,
  practitionerOnly: express.RequestHandler,
  deps: {
    accounts: AccountService;
    twoFactor: TwoFactorService;
    limits: RateLimits;
    devices: DeviceTokens;
    /** Sessions were ended: close their sockets. */
    onLogout: (sessionId: string) => void;
  },
): void {
  const { accounts, twoFactor, limits, devices } = deps;
  const claims = (res: express.Response) => res.locals['practitioner'] as PractitionerClaims;
  const me = (res: express.Response) => claims(res).sub;

  app.post('/api/login/2fa', async (req, res, next) => {
    try {
      const body = LoginSecondStepRequest.safeParse(req.body);
      if (!body.success)
        return void res
          .status(400)
          .json(fail(ErrorCode.BAD_REQUEST, 'a challenge and a 6-digit or recovery code are required'));
      const from = req.ip ?? 'unknown';
      const { deviceToken } = body.data;
      let email = '';
      const session = await accounts.completeLogin(body.data.challenge, body.data.code, (e) => {
        email = e;
        return limits.login.codeAttempt(e, from, devices.verify(deviceToken, e));
      });
      res.json(ok<SessionGrant>({ ...toGrant(session), deviceToken: devices.issue(email) }));
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
      const enabled = await twoFactor.enable(me(res), body.data.code);
      // Sessions opened before with the password alone end now (this one goes on: its code was just shown right).
      for (const sid of await accounts.endOtherSessions(me(res), claims(res).sid)) deps.onLogout(sid);
      res.set('cache-control', 'no-store').json(ok<TwoFactorEnabled>(enabled));
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
      await twoFactor.disable(me(res), body.data.code, (email) => limits.login.codeAttempt(email, from));
      res.json(ok<TwoFactorStatus>({ enabled: false, recoveryCodesLeft: 0 }));
    } catch (e) {
      next(e);
    }
  });
}
