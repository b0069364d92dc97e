import type express from 'express';
import { z } from 'zod';
import {
  ErrorCode,
  VisitaError,
  fail,
  ok,
  type ConsultationLink,
  type ConsultationList,
  type CreatedConsultation,
  type PatientLinkStatus,
  type PractitionerClaims,
  type RevokedLinks,
} from '@visita/protocol';
import type { SignalingConfig } from '../config.ts';
import type { ConsultationService } from '../ConsultationService.ts';
import type { RateLimits } from '../rateLimits.ts';
import { TOKEN_EXPIRED, type TokenService } from '../tokens.ts';

const CreateConsultation = z.object({
  /** Epoch milliseconds of the appointment; absent: the waiting room opens now. */
  scheduledAt: z.number().int().positive().max(8_640_000_000_000).optional(),
});

export interface ConsultationRouteDeps {
  config: SignalingConfig;
  tokens: TokenService;
  consultations: ConsultationService;
  limits: Pick<RateLimits, 'link' | 'createConsultation'>;
}

/** A practitioner's consultations: create (now or scheduled), list, a fresh patient link, revoke the links. */
export function consultationRoutes(
  app: express.Express,
  practitionerOnly: express.RequestHandler,
  deps: ConsultationRouteDeps,
): void {
  const { config, tokens, consultations, limits } = deps;
  // A patient link: the token rides in the fragment, which browsers never send to a server, so it
  // stays out of access logs. It expires (VISITA_PATIENT_LINK_TTL_S) and can be revoked.
  const patientLink = (consultationId: string, version: number) => {
    const patientToken = tokens.patient(
      { sub: `pt-${consultationId.slice(0, 12)}`, consultationId, v: version },
      config.patientLinkTtlS,
    );
    return { patientToken, patientLink: `${config.publicUrl}/c/${consultationId}#t=${patientToken}` };
  };

  // A patient link, checked when it is opened: a dead one (ended, expired, revoked, garbled) is
  // told apart before the patient goes through the device check. Says nothing about anyone else's.
  // Unauthenticated: VISITA_LINK_RATE per client address a minute (the page asks once when it opens).
  app.get('/api/link', async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      await limits.link(req.ip ?? 'unknown');
      res.json(ok<PatientLinkStatus>(await linkStatus(token)));
    } catch (e) {
      next(e);
    }
  });
  const linkStatus = async (token: string): Promise<PatientLinkStatus> => {
    let identity: ReturnType<TokenService['verify']>;
    try {
      identity = tokens.verify(token);
    } catch (e) {
      return { status: (e as Error).message === TOKEN_EXPIRED ? 'expired' : 'invalid' };
    }
    if (identity.kind !== 'patient') return { status: 'invalid' };
    const c = await consultations.consultations.authorize(identity, identity.consultationId).catch((e: unknown) => {
      if (e instanceof VisitaError && e.code === ErrorCode.UNAUTHENTICATED) return 'revoked' as const;
      if (e instanceof VisitaError) return 'invalid' as const;
      throw e;
    });
    if (typeof c === 'string') return { status: c };
    if (c.state === 'ended') return { status: 'ended' };
    return { status: 'open', consultationId: c.id, state: c.state };
  };

  app.post('/api/consultations', practitionerOnly, async (req, res, next) => {
    try {
      const body = CreateConsultation.safeParse(req.body ?? {});
      if (!body.success)
        return void res.status(400).json(fail(ErrorCode.BAD_REQUEST, body.error.issues[0]?.message ?? 'invalid body'));
      const me = res.locals['practitioner'] as PractitionerClaims;
      // VISITA_CONSULTATION_RATE an hour per account, and VISITA_OPEN_CONSULTATIONS open at once (create).
      await limits.createConsultation(me.sub);
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

  app.get('/api/consultations', practitionerOnly, async (_req, res, next) => {
    try {
      const me = res.locals['practitioner'] as PractitionerClaims;
      res.json(ok<ConsultationList>({ consultations: await consultations.consultations.list(me.sub) }));
    } catch (e) {
      next(e);
    }
  });
}
