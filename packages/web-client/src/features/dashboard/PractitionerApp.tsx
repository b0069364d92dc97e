import { useCallback, useEffect, useState } from 'react';
import { needsSecondFactor, type ConsultationView, type QueueEntryView } from '@visita/protocol';
import { api } from '../api.ts';
import { UsagePanel } from '../components/UsagePanel.tsx';
import { IdleGuard } from '../components/IdleGuard.tsx';
import { SecondFactorForm } from '../components/SecondFactorForm.tsx';
import { SecurityPanel } from '../components/SecurityPanel.tsx';
import { errorText, type Strings } from '../i18n.ts';
import { connectSignaling, request, type RequestError } from '../signaling.ts';
import {
  clearSession,
  loadSession,
  refreshed,
  saveSession,
  sessionFrom,
  sessionToken,
  type Session,
} from '../session.ts';
import { Panel } from './PatientPage.tsx';
import { ConsultationRoom } from './ConsultationRoom.tsx';

/** A session saved before the server said its idle timeout. */
const DEFAULT_IDLE_TIMEOUT_S = 900;

/** The practitioner's page: log in, create consultations, see who waits, admit, consult. */
export function DoctorPage({ t }: { t: Strings }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const logout = useCallback(() => {
    const s = loadSession();
    if (s) void api.logout(s.refreshToken).catch(() => undefined);
    clearSession();
    setSession(null);
  }, []);
  // Automatic logoff: after the idle timeout without input (never during a call), with its reason shown.
  const [idleMinutes, setIdleMinutes] = useState<number | null>(null);
  const idleTimeoutS = session?.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S;
  const expire = useCallback(() => {
    logout();
    setIdleMinutes(Math.round(idleTimeoutS / 60));
  }, [logout, idleTimeoutS]);
  if (!session) {
    return (
      <Login
        t={t}
        notice={idleMinutes === null ? null : t.loggedOutIdle(idleMinutes)}
        onLogin={(s) => {
          saveSession(s);
          setIdleMinutes(null);
          setSession(s);
        }}
      />
    );
  }
  return (
    <>
      <IdleGuard t={t} timeoutS={idleTimeoutS} onExpire={expire} onLost={logout} />
      <Dashboard t={t} session={session} onLogout={logout} />
    </>
  );
}

function Login({ t, notice, onLogin }: { t: Strings; notice: string | null; onLogin: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  // The password was right and the account has a second factor: its code comes next.
  const [challenge, setChallenge] = useState<string | null>(null);
  if (challenge) {
    return (
      <Panel title={t.doctorTitle}>
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
    <Panel title={t.doctorTitle}>
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
            (err: RequestError) =>
              setError(err.code === 'UNAUTHENTICATED' ? `${t.email} / ${t.password}: ✗` : errorText(t, err.code)),
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
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Panel>
  );
}

function Dashboard({ t, session, onLogout }: { t: Strings; session: Session; onLogout: () => void }) {
  const [list, setList] = useState<ConsultationView[]>([]);
  const [links, setLinks] = useState<Record<string, string>>(() =>
    JSON.parse(localStorage.getItem('visita.links') ?? '{}'),
  );
  const [open, setOpen] = useState<string | null>(() => new URLSearchParams(location.search).get('c'));
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    api.consultations().then(
      (r) => setList(r.consultations),
      (e: RequestError) => (e.code === 'UNAUTHENTICATED' ? onLogout() : setError(errorText(t, e.code))),
    );
  }, [onLogout, t]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `open` changing (a consultation closed) is a reason to reload the list.
  useEffect(refresh, [refresh, open]);

  const create = () => {
    api.createConsultation().then(
      (r) => {
        const next = { ...links, [r.consultationId]: r.patientLink };
        localStorage.setItem('visita.links', JSON.stringify(next));
        setLinks(next);
        refresh();
      },
      (e: RequestError) => setError(errorText(t, e.code)),
    );
  };

  if (open) return <ConsultationRoom t={t} consultationId={open} onClose={() => setOpen(null)} />;
  return (
    <Panel title={`${t.doctorTitle} — ${session.name}`}>
      <button data-testid="new-consultation" onClick={create}>
        {t.newConsultation}
      </button>
      <button className="secondary" onClick={onLogout}>
        {t.logOut}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <WaitingRoom t={t} onOpen={setOpen} />
      <UsagePanel t={t} />
      <SecurityPanel t={t} />
      <h2>{t.consultations}</h2>
      <ul className="consultations">
        {list.map((c) => (
          <li key={c.consultationId} data-testid="consultation">
            <span className={`badge ${c.state}`}>{t[`state_${c.state}`]}</span>
            {c.patientPresent ? (
              <strong>{t.patientWaiting(c.patientName ?? t.aPatient)}</strong>
            ) : (
              <span>{new Date(c.createdAt).toLocaleString()}</span>
            )}
            {links[c.consultationId] && <LinkBox t={t} link={links[c.consultationId]!} />}
            {c.state !== 'ended' && (
              <button data-testid="open-consultation" onClick={() => setOpen(c.consultationId)}>
                {t.open}
              </button>
            )}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

/** The practitioner's queue, live across tabs and instances. */
function WaitingRoom({ t, onOpen }: { t: Strings; onOpen: (consultationId: string) => void }) {
  const [entries, setEntries] = useState<QueueEntryView[]>([]);
  const [total, setTotal] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const s = connectSignaling(sessionToken, refreshed);
    s.on('queue:updated', (q) => {
      setEntries(q.entries);
      setTotal(q.total);
    });
    s.on('connect', () => {
      if (s.recovered) return;
      request(s, 'queue:watch', {}).then(
        (q) => {
          setEntries(q.entries);
          setTotal(q.total);
        },
        () => undefined,
      );
    });
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      clearInterval(timer);
      s.close();
    };
  }, []);
  return (
    <>
      <h2>
        {t.waitingRoom}
        {total > 0 && ` (${total})`}
      </h2>
      {entries.length === 0 ? (
        <p>{t.emptyWaitingRoom}</p>
      ) : (
        <ol className="consultations" data-testid="queue">
          {entries.map((e) => (
            <li key={e.consultationId} data-testid="queue-entry">
              <strong>{e.patientName}</strong>
              <span>{t.since(Math.max(0, Math.floor((now - e.checkedInAt) / 60_000)))}</span>
              {e.reason && <em>{e.reason}</em>}
              {e.deviceCheck && !(e.deviceCheck.camera && e.deviceCheck.microphone) && (
                <span className="badge warn">{t.deviceProblem}</span>
              )}
              {!e.present && <span className="badge">{t.offline}</span>}
              <button onClick={() => onOpen(e.consultationId)}>{t.open}</button>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function LinkBox({ t, link }: { t: Strings; link: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="link">
      <input
        readOnly
        value={link}
        data-testid="patient-link"
        aria-label={t.patientLink}
        onFocus={(e) => e.target.select()}
      />
      <button
        className="secondary"
        onClick={() => void navigator.clipboard?.writeText(link).then(() => setCopied(true))}
      >
        {copied ? t.copied : t.copy}
      </button>
    </span>
  );
}
