import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, VisitaError } from '@visita/protocol';
import type { Account, AccountStore } from '../store/AccountStore.ts';
import { hashPassword, verifyPassword } from './password.ts';

export const NewAccount = z.object({
  email: z.string().trim().email().max(200),
  name: z.string().trim().min(1).max(120),
  role: z.enum(['practitioner', 'ops']).default('practitioner'),
  password: z.string().min(10, 'the password needs at least 10 characters').max(200),
});

/** Creates an account (used by the CLI and tests); typed errors on bad input or a taken email. */
export async function addAccount(store: AccountStore, input: z.input<typeof NewAccount>): Promise<Account> {
  const parsed = NewAccount.safeParse(input);
  if (!parsed.success)
    throw new VisitaError(
      ErrorCode.BAD_REQUEST,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
    );
  const a = parsed.data;
  const account: Account = {
    id: `pr-${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    email: a.email.toLowerCase(),
    name: a.name,
    role: a.role,
    passwordHash: await hashPassword(a.password),
    createdAt: Date.now(),
  };
  if (!(await store.create(account)))
    throw new VisitaError(ErrorCode.INVALID_STATE, `an account with email ${account.email} already exists`);
  return account;
}

/**
 * Sets the password (hashed with a new salt, the record sealed again). Returns whether it changed:
 * false when it is the one the account already had (make start sets the demo account's own again
 * at every start, which must not end its sessions).
 */
export async function setAccountPassword(store: AccountStore, email: string, password: string): Promise<boolean> {
  // By id: an administrator setting the password re-seals a record that no longer verifies.
  const id = await store.idByEmail(email);
  if (!id) throw new VisitaError(ErrorCode.NOT_FOUND, `no account with email ${email}`);
  const ok = NewAccount.shape.password.safeParse(password);
  if (!ok.success) throw new VisitaError(ErrorCode.BAD_REQUEST, ok.error.issues[0]?.message ?? 'invalid password');
  const current = await store.get(id);
  const same = current !== null && (await verifyPassword(password, current.passwordHash));
  await store.setPasswordHash(id, await hashPassword(password));
  return !same;
}

/** Removes an account's second factor (a lost phone): the next login asks for the password only. */
export async function resetTwoFactor(store: AccountStore, email: string): Promise<boolean> {
  const account = await store.findByEmail(email);
  if (!account) throw new VisitaError(ErrorCode.NOT_FOUND, `no account with email ${email}`);
  await store.setTwoFactor(account.id, null);
  return account.twoFactor !== undefined;
}
