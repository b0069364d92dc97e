import { ErrorCode, HandshakeAuth, PROTOCOL_VERSION, VisitaError } from '@visita/protocol';
import { answerFor } from './redis/answer.ts';
import type { Identity, TokenService } from './tokens.ts';
import { presenceMember, type SignalingIo } from './socketServer.ts';
import { identityKey, type ConnectionCaps } from './store/ConnectionCaps.ts';

/** Sockets one identity may hold open, across every instance (a patient link; a practitioner account). */
export const MAX_SOCKETS_PER_PATIENT_LINK = 4;
export const MAX_SOCKETS_PER_ACCOUNT = 20;

export interface HandshakeChecks {
  tokens: TokenService;
  /** Throws if the identity may no longer connect (a revoked or expired link, a logged-out session). */
  stillValid(identity: Identity): Promise<void>;
  caps: ConnectionCaps;
  instanceId: string;
}

/**
 * Every connection, new or recovered, shows a valid token: a recovered session (connection-state
 * recovery) is resumed only by the identity it belonged to, and only while that identity is still
 * valid (a link revoked meanwhile, or a logged-out session, does not come back).
 */
export function installHandshake(io: SignalingIo, checks: HandshakeChecks): void {
  io.use(async (socket, next) => {
    try {
      const auth = HandshakeAuth.safeParse(socket.handshake.auth);
      if (!auth.success) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'a token is required');
      if (auth.data.protocolVersion !== PROTOCOL_VERSION) {
        throw new VisitaError(
          ErrorCode.PROTOCOL_MISMATCH,
          `this server speaks protocol ${PROTOCOL_VERSION}; reload the page`,
        );
      }
      const identity = checks.tokens.verify(auth.data.token);
      if (socket.recovered && !sameIdentity(socket.data.identity, identity)) {
        throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'this session belongs to someone else');
      }
      await checks.stillValid(identity);
      const cap = identity.kind === 'patient' ? MAX_SOCKETS_PER_PATIENT_LINK : MAX_SOCKETS_PER_ACCOUNT;
      const member = presenceMember(checks.instanceId, socket.id);
      if (!(await checks.caps.tryAdd(identityKey(identity), member, cap, Date.now()))) {
        throw new VisitaError(ErrorCode.RATE_LIMITED, 'too many connections with this link or account');
      }
      socket.once('disconnect', () => void checks.caps.remove(identityKey(identity), member).catch(() => undefined));
      socket.data.identity = identity;
      if (!socket.recovered) socket.data.consultationId = null;
      next();
    } catch (e) {
      const err = answerFor(e);
      next(
        Object.assign(new Error(err.code === ErrorCode.INTERNAL ? 'please retry' : err.message), {
          data: { code: err.code },
        }),
      );
    }
  });
}

/** The same person: a patient of the same consultation and link version, or the same account. */
function sameIdentity(before: Identity | undefined, now: Identity): boolean {
  if (!before || before.kind !== now.kind || before.sub !== now.sub) return false;
  if (before.kind === 'patient' && now.kind === 'patient')
    return before.consultationId === now.consultationId && before.v === now.v;
  return true;
}
