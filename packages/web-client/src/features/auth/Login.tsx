import { useState } from 'react';
import type { VisitaError as RequestError } from '@visita/protocol';
import { needsSecondFactor } from '@visita/protocol/browser';
import { api } from '../../lib/api.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { sessionFrom, type Session } from '../../lib/session.ts';
import { Panel } from '../../ui/Panel.tsx';
import { SecondFactorForm } from './SecondFactorForm.tsx';

/** The practitioner's login: email and password, then the second factor when the account has one. */
export function Login({ t, notice, onLogin }: { t: Strings; notice: string | null; onLogin: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  // The password was right and the account has a second factor: its code comes next.
  const [challenge, setChallenge] = useState<string | null>(null);
  if (challenge) {
    return (
      <Panel title={t.loginTitle}>
        <SecondFactorForm
          t={t}
          challenge={challenge}
          onLogin={onLogin}
          onRestart={(err) => {
            setChallenge(null);
            setPassword('');
            setError(err ?? null);
          }}
        />
      </Panel>
    );
  }
  return (
    <Panel title={t.loginTitle}>
      {notice && (
        <p role="status" data-testid="login-notice">
          {notice}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          api.login(email, password).then(
            (r) => (needsSecondFactor(r) ? setChallenge(r.challenge) : onLogin(sessionFrom(r))),
            (err: RequestError) => setError(err.code === 'UNAUTHENTICATED' ? t.wrongPassword : errorText(t, err.code)),
          );
        }}
      >
        <label htmlFor="email">{t.email}</label>
        <input
          id="email"
          data-testid="login-email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">{t.password}</label>
        <input
          id="password"
          data-testid="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button data-testid="login-submit" type="submit">
          {t.logIn}
        </button>
        {error && (
          <p className="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </Panel>
  );
}
