import {
  ErrorCode,
  RECOVERY_CODE_COUNT,
  VisitaError,
  isTotpCode,
  type TwoFactorEnabled,
  type TwoFactorSetup,
  type TwoFactorStatus,
} from '@visita/protocol';
import type { Account, AccountStore } from '../store/AccountStore.ts';
import { newRecoveryCodes, normalizeRecoveryCode } from './recoveryCodes.ts';
import type { SecretBox } from './SecretBox.ts';
import { newTotpSecret, totpUri, verifyTotp } from './totp.ts';

/** The login limits' check before a code is tried (RATE_LIMITED past them); `succeeded` once it is right. */
export type CodeGuard = (email: string) => Promise<{ succeeded(): Promise<void> }>;

/**
 * Practitioners' second factor: a TOTP authenticator (RFC 6238) and ten one-time recovery codes.
 * The secret is sealed at rest and shown only while it is being set up; recovery codes are shown
 * once and kept as keyed hashes; a time step is accepted once per account (no replay).
 */
export class TwoFactorService {
  readonly #accounts: AccountStore;
  readonly #box: SecretBox;
  readonly #now: () => number;

  constructor(accounts: AccountStore, box: SecretBox, now: () => number = Date.now) {
    this.#accounts = accounts;
    this.#box = box;
    this.#now = now;
  }

  async status(accountId: string): Promise<TwoFactorStatus> {
    const tf = (await this.#account(accountId)).twoFactor;
    return { enabled: tf !== undefined, recoveryCodesLeft: tf?.recoveryHashes.length ?? 0 };
  }

  /** A new secret, pending until `enable` confirms a code of it (a new setup replaces the previous one). */
  async setup(accountId: string): Promise<TwoFactorSetup> {
    const account = await this.#account(accountId);
    if (account.twoFactor)
      throw new VisitaError(ErrorCode.INVALID_STATE, 'two-factor authentication is already enabled: disable it first');
    const secret = newTotpSecret();
    await this.#accounts.setPendingTotpSecret(account.id, this.#box.seal(secret, account.id));
    return { secret, uri: totpUri(secret, account.email) };
  }

  /** Enables the pending secret if `code` is one of its codes; returns the recovery codes (shown once). */
  async enable(accountId: string, code: string): Promise<TwoFactorEnabled> {
    const account = await this.#account(accountId);
    if (account.twoFactor)
      throw new VisitaError(ErrorCode.INVALID_STATE, 'two-factor authentication is already enabled');
    if (!account.pendingTotpSecret)
      throw new VisitaError(ErrorCode.INVALID_STATE, 'set up two-factor authentication first');
    const step = verifyTotp(this.#open(account.pendingTotpSecret, account.id), code, this.#now(), -1);
    if (step === null)
      throw new VisitaError(ErrorCode.FORBIDDEN, 'wrong code: check the authenticator app and the device’s clock');
    const recoveryCodes = newRecoveryCodes(RECOVERY_CODE_COUNT);
    await this.#accounts.setTwoFactor(account.id, {
      secretEnc: account.pendingTotpSecret,
      lastStep: step, // the code that enabled it cannot log in
      recoveryHashes: recoveryCodes.map((c) => this.#box.hash(`${account.id}:${normalizeRecoveryCode(c)}`)),
    });
    return { recoveryCodes };
  }

  /**
   * Disables the second factor if `code` is a current code or an unused recovery code. Codes go
   * through `guard` (the login limits): a stolen access token cannot try every code.
   */
  async disable(accountId: string, code: string, guard: CodeGuard): Promise<void> {
    const account = await this.#account(accountId);
    if (!account.twoFactor) throw new VisitaError(ErrorCode.INVALID_STATE, 'two-factor authentication is not enabled');
    const attempt = await guard(account.email);
    if (!(await this.verify(account, code))) throw new VisitaError(ErrorCode.FORBIDDEN, 'wrong code');
    await attempt.succeeded();
    await this.#accounts.setTwoFactor(account.id, null);
  }

  /**
   * Whether `code` (normalized: 6 digits, or a recovery code) passes the account's second factor.
   * A good code is spent: its time step, or the recovery code, never passes again.
   */
  async verify(account: Account, code: string): Promise<boolean> {
    const tf = account.twoFactor;
    if (!tf) return false;
    if (isTotpCode(code)) {
      const step = verifyTotp(this.#open(tf.secretEnc, account.id), code, this.#now(), tf.lastStep);
      return step !== null && (await this.#accounts.acceptTotpStep(account.id, step));
    }
    const recovery = normalizeRecoveryCode(code);
    return (
      recovery !== null &&
      (await this.#accounts.consumeRecoveryCode(account.id, this.#box.hashes(`${account.id}:${recovery}`)))
    );
  }

  /** A sealed secret in clear; a typed error if it cannot be opened (VISITA_DATA_KEY or the JWT key it was sealed with is gone). */
  #open(sealed: string, accountId: string): string {
    try {
      return this.#box.open(sealed, accountId);
    } catch {
      throw new VisitaError(
        ErrorCode.INVALID_STATE,
        'the two-factor secret cannot be read (the data key changed): an administrator must reset it (visita practitioner reset-2fa)',
      );
    }
  }

  async #account(id: string): Promise<Account> {
    const account = await this.#accounts.get(id);
    if (!account) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'no such account');
    return account;
  }
}
