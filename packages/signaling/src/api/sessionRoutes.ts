import type express from 'express';
import { z } from 'zod';
import { ErrorCode, LoginRequest, fail, ok, type LoggedOut, type LoginResponse } from '@visita/protocol';
import { toGrant, type AccountService } from '../accounts/AccountService.ts';
import type { RateLimits } from '../rateLimits.ts';

const Refresh = z.object({ refreshToken: z.string().min(20).max(200) });

export interface SessionDeps {
  accounts: AccountService;
  limits: RateLimits;
  /** A session was logged out: close its sockets. */
  onLogout: (sessionId: string) => void;
}

/** A practitioner's session: login (password, then a second factor when enabled), refresh, logout. */
export function sessionRoutes(app: express.Express, deps: SessionDeps): void {
  const { accounts, limits } = deps;
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
}
