import type express from 'express';
import { z } from 'zod';
import { ErrorCode, LoginRequest, fail, ok, type LoggedOut, type LoginResponse } from '@visita/protocol';
import { toGrant, type AccountService } from '../accounts/AccountService.ts';
import type { DeviceTokens } from '../accounts/DeviceTokens.ts';
import type { RateLimits } from '../rateLimits.ts';

const Refresh = z.object({ refreshToken: z.string().min(20).max(200) });

export interface SessionDeps {
  accounts: AccountService;
  limits: RateLimits;
  devices: DeviceTokens;
  /** A session was logged out: close its sockets. */
  onLogout: (sessionId: string) => void;
}

/** A practitioner's session: login (password, then a second factor when enabled), refresh, logout. */
export function sessionRoutes(app: express.Express, deps: SessionDeps): void {
  const { accounts, limits, devices } = deps;
  app.post('/api/login', async (req, res, next) => {
    try {
      const body = LoginRequest.safeParse(req.body);
      if (!body.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, 'email and password are required'));
      const { email, password, deviceToken } = body.data;
      const from = req.ip ?? 'unknown';
      // Only failures count: the attempt's points come back when the password is right.
      const attempt = await limits.login.attempt(email, from, devices.verify(deviceToken, email));
      const outcome = await accounts.login(email, password, from, attempt.known);
      if (outcome.kind === 'challenge') {
        // The password was right: its points come back; the address is remembered only once the
        // code is right too (each code counts in its own right).
        await attempt.refund();
        return void res.json(ok<LoginResponse>({ twoFactorRequired: true, challenge: outcome.challenge }));
      }
      await attempt.succeeded();
      res.json(ok<LoginResponse>({ ...toGrant(outcome.session), deviceToken: devices.issue(email) }));
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
}
