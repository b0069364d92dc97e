/** Who a login challenge belongs to: the account whose password was right, and the session it will open. */
export interface ChallengeHolder {
  accountId: string;
  sessionId: string;
  /** The login's email: the second step counts against the same login limits. */
  email: string;
}

/**
 * The pending second steps of logins (`POST /api/login/2fa`), keyed by a hash of the challenge:
 * short-lived, attempts counted, single use.
 */
export interface LoginChallengeStore {
  create(challengeHash: string, holder: ChallengeHolder, ttlMs: number): Promise<void>;
  /** Counts one more attempt, atomically, and returns the holder with the count; null if unknown or expired. */
  attempt(challengeHash: string): Promise<(ChallengeHolder & { attempts: number }) | null>;
  /** Removes the challenge: true for the one caller that removed it. */
  take(challengeHash: string): Promise<boolean>;
}
