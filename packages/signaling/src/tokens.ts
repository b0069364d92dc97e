import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  Audience,
  ErrorCode,
  PatientClaims,
  PractitionerClaims,
  SFU_CONTROL_TOKEN_TTL_S,
  TOKEN_ISSUER,
  VisitaError,
  sfuControlAudience,
} from '@visita/protocol';

/** The only algorithm accepted: tokens using anything else (none, RS256 with our secret as a key) are refused. */
const ALGORITHMS: jwt.Algorithm[] = ['HS256'];

export type Identity = PractitionerClaims | PatientClaims;

export interface SigningKey {
  /** Key id, written in each token's header: keys can rotate without logging everyone out. */
  kid: string;
  secret: string;
}

/**
 * Issues and verifies every Visita JWT: pinned algorithm, issuer, per-kind audience, expiry, and a
 * key id. Tokens are signed with the first key; any listed key verifies (rotation: add the new key
 * first, keep the old one until its tokens have expired, then drop it).
 */
/** The message of the UNAUTHENTICATED error for a token past its expiry (a patient link's status reads it). */
export const TOKEN_EXPIRED = 'token expired';

export class TokenService {
  readonly #keys: readonly SigningKey[];
  readonly #sfuSecret: string;

  constructor(keys: readonly SigningKey[], sfuSecret: string) {
    if (keys.length === 0) throw new Error('at least one signing key is required');
    this.#keys = keys;
    this.#sfuSecret = sfuSecret;
  }

  get #current(): SigningKey {
    return this.#keys[0]!;
  }

  practitioner(claims: Omit<PractitionerClaims, 'kind'>, ttlS: number): string {
    return jwt.sign(
      { kind: 'practitioner', name: claims.name, role: claims.role, sid: claims.sid },
      this.#current.secret,
      {
        algorithm: 'HS256',
        keyid: this.#current.kid,
        issuer: TOKEN_ISSUER,
        audience: Audience.PRACTITIONER,
        subject: claims.sub,
        expiresIn: ttlS,
        jwtid: randomUUID(),
      },
    );
  }

  patient(claims: Omit<PatientClaims, 'kind'>, ttlS: number): string {
    return jwt.sign({ kind: 'patient', consultationId: claims.consultationId, v: claims.v }, this.#current.secret, {
      algorithm: 'HS256',
      keyid: this.#current.kid,
      issuer: TOKEN_ISSUER,
      audience: Audience.PATIENT,
      subject: claims.sub,
      expiresIn: ttlS,
      jwtid: randomUUID(),
    });
  }

  /** The token this instance presents to SFU node `nodeId`: good for that node only, for one minute. */
  sfuControl(instanceId: string, nodeId: string): string {
    return jwt.sign({ kind: 'sfu-control' }, this.#sfuSecret, {
      algorithm: 'HS256',
      issuer: TOKEN_ISSUER,
      audience: sfuControlAudience(nodeId),
      subject: instanceId,
      expiresIn: SFU_CONTROL_TOKEN_TTL_S,
    });
  }

  /** Verifies a practitioner or patient token; throws VisitaError(UNAUTHENTICATED) otherwise. */
  verify(token: string): Identity {
    let payload: string | jwt.JwtPayload;
    try {
      const kid = jwt.decode(token, { complete: true })?.header.kid;
      const key = this.#keys.find((k) => k.kid === kid);
      if (!key) throw new Error('unknown key id');
      payload = jwt.verify(token, key.secret, {
        algorithms: ALGORITHMS,
        issuer: TOKEN_ISSUER,
        audience: [Audience.PRACTITIONER, Audience.PATIENT],
      });
    } catch (e) {
      const expired = e instanceof jwt.TokenExpiredError;
      throw new VisitaError(ErrorCode.UNAUTHENTICATED, expired ? TOKEN_EXPIRED : 'invalid token');
    }
    // Every token we issue expires; one without `exp` was not made here (or is a forgery).
    if (typeof payload === 'string' || typeof payload.exp !== 'number')
      throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'invalid token');
    // The audience must match the kind, so a patient token cannot claim to be a practitioner's.
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (payload['kind'] === 'practitioner' && aud.length === 1 && aud[0] === Audience.PRACTITIONER) {
      const r = PractitionerClaims.safeParse(payload);
      if (r.success) return r.data;
    }
    if (payload['kind'] === 'patient' && aud.length === 1 && aud[0] === Audience.PATIENT) {
      const r = PatientClaims.safeParse(payload);
      if (r.success) return r.data;
    }
    throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'invalid token');
  }
}
