import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import type { TwoFactorSetup, TwoFactorStatus } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import type { RequestError } from '../../lib/signaling.ts';

type Step =
  | { kind: 'status' }
  | { kind: 'setup'; setup: TwoFactorSetup; qr: string | null }
  | { kind: 'recovery'; codes: string[] }
  | { kind: 'disable' };

/** The practitioner's security settings: turn two-factor authentication on (QR code, confirm, recovery codes) or off. */
export function SecurityPanel({ t }: { t: Strings }) {
  const [status, setStatus] = useState<TwoFactorStatus | null>(null);
  const [step, setStep] = useState<Step>({ kind: 'status' });
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const failed = (e: RequestError) =>
    setError(e.code === 'FORBIDDEN' || e.code === 'BAD_REQUEST' ? t.wrongCode : errorText(t, e.code));
  const reload = () => api.twoFactorStatus().then(setStatus, failed);
  useEffect(() => {
    api.twoFactorStatus().then(setStatus, (e: RequestError) => setError(errorText(t, e.code)));
  }, [t]);
  const go = (next: Step) => {
    setStep(next);
    setCode('');
    setError(null);
  };

  const startSetup = () =>
    api.twoFactorSetup().then((setup) => {
      go({ kind: 'setup', setup, qr: null });
      QRCode.toDataURL(setup.uri, { errorCorrectionLevel: 'M', margin: 2, width: 200 }).then(
        (qr) => setStep((s) => (s.kind === 'setup' && s.setup === setup ? { ...s, qr } : s)),
        () => undefined, // the key stays readable below
      );
    }, failed);
  const enable = () =>
    api.twoFactorEnable(code.trim()).then((r) => {
      go({ kind: 'recovery', codes: r.recoveryCodes });
      void reload();
    }, failed);
  const disable = () =>
    api.twoFactorDisable(code.trim()).then(() => {
      go({ kind: 'status' });
      void reload();
    }, failed);

  const codeField = (label: string, numeric: boolean) => (
    <>
      <label htmlFor="security-code">{label}</label>
      <input
        id="security-code"
        data-testid="security-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        {...(numeric
          ? { autoComplete: 'one-time-code', inputMode: 'numeric' as const, maxLength: 7 }
          : { autoComplete: 'off', maxLength: 20 })}
      />
    </>
  );

  return (
    <section data-testid="security" aria-labelledby="security-title">
      <h2 id="security-title">{t.security}</h2>
      {status && step.kind === 'status' && (
        <>
          <p data-testid="two-factor-status">
            {status.enabled ? t.twoFactorOn(status.recoveryCodesLeft) : t.twoFactorOff}
          </p>
          {status.enabled ? (
            <button className="secondary" data-testid="disable-2fa" onClick={() => go({ kind: 'disable' })}>
              {t.disableTwoFactor}
            </button>
          ) : (
            <button data-testid="enable-2fa" onClick={() => void startSetup()}>
              {t.enableTwoFactor}
            </button>
          )}
        </>
      )}
      {step.kind === 'setup' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void enable();
          }}
        >
          <p>{t.scanQr}</p>
          {step.qr && <img data-testid="totp-qr" src={step.qr} width={200} height={200} alt={t.qrAlt} />}
          <p>
            {t.secretKey}{' '}
            <code data-testid="totp-secret" className="secret">
              {step.setup.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>
          </p>
          {codeField(t.authCode, true)}
          <button data-testid="security-confirm" type="submit" disabled={!code.trim()}>
            {t.confirm}
          </button>
          <button type="button" className="secondary" onClick={() => go({ kind: 'status' })}>
            {t.cancel}
          </button>
        </form>
      )}
      {step.kind === 'recovery' && (
        <div role="region" aria-labelledby="recovery-title">
          <h3 id="recovery-title">{t.recoveryCodes}</h3>
          <p>{t.recoveryCodesHelp}</p>
          <ul data-testid="recovery-codes" className="recovery-codes">
            {step.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button
            className="secondary"
            onClick={() => void navigator.clipboard?.writeText(step.codes.join('\n')).then(() => setCopied(true))}
          >
            {copied ? t.copied : t.copy}
          </button>
          <button data-testid="recovery-done" onClick={() => go({ kind: 'status' })}>
            {t.savedThem}
          </button>
        </div>
      )}
      {step.kind === 'disable' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void disable();
          }}
        >
          <p>{t.disableHelp}</p>
          {codeField(t.authCode, false)}
          <button data-testid="security-confirm" type="submit" className="danger" disabled={!code.trim()}>
            {t.disableTwoFactor}
          </button>
          <button type="button" className="secondary" onClick={() => go({ kind: 'status' })}>
            {t.cancel}
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
