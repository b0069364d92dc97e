import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { sessionFrom, type Session } from '../../lib/session.ts';
import type { RequestError } from '../../lib/signaling.ts';

/** The second step of a login: the authenticator's code, or a recovery code. */
export function SecondFactorForm({
  t,
  challenge,
  onLogin,
  onRestart,
}: {
  t: Strings;
  challenge: string;
  onLogin: (s: Session) => void;
  onRestart: (error?: string) => void;
}) {
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      data-testid="second-factor"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        setBusy(true);
        api.loginSecondStep(challenge, code.trim()).then(
          (g) => onLogin(sessionFrom(g)),
          (err: RequestError) => {
            setBusy(false);
            setCode('');
            // Too many codes on this login: it is over, start from the password again.
            if (err.code === 'RATE_LIMITED') onRestart(errorText(t, err.code));
            else
              setError(
                err.code === 'UNAUTHENTICATED' || err.code === 'BAD_REQUEST' ? t.wrongCode : errorText(t, err.code),
              );
          },
        );
      }}
    >
      <label htmlFor="second-factor-code">{recovery ? t.recoveryCode : t.authCode}</label>
      <p id="second-factor-help" className="hint">
        {recovery ? t.recoveryCodeHelp : t.authCodeHelp}
      </p>
      {recovery ? (
        <input
          key="recovery"
          id="second-factor-code"
          data-testid="login-code"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={20}
          aria-describedby="second-factor-help"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      ) : (
        <input
          key="totp"
          id="second-factor-code"
          data-testid="login-code"
          autoComplete="one-time-code"
          inputMode="numeric"
          pattern="[0-9 ]{6,7}"
          maxLength={7}
          aria-describedby="second-factor-help"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      )}
      <button data-testid="login-code-submit" type="submit" disabled={busy || !code.trim()}>
        {t.verify}
      </button>
      <button
        type="button"
        className="link-button"
        onClick={() => {
          setRecovery(!recovery);
          setCode('');
          setError(null);
        }}
      >
        {recovery ? t.useAuthCode : t.useRecoveryCode}
      </button>
      {' · '}
      <button type="button" className="link-button" onClick={() => onRestart()}>
        {t.startAgain}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
