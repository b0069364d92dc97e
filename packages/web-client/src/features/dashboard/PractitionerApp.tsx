// The practitioner's pages (/login, /dashboard, /consultations/:id, /usage): the session, the
// automatic logoff, the navigation between them. Loaded only when a practitioner's path is opened.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import type { Strings } from '../../lib/i18n.ts';
import { clearSession, loadSession, saveSession, type Session } from '../../lib/session.ts';
import { navigate, pathOf, type Route } from '../../app/router.ts';
import { IdleGuard } from '../auth/IdleGuard.tsx';
import { Login } from '../auth/Login.tsx';
import { AuditPage } from '../audit/AuditPage.tsx';
import { OpsPage } from '../ops/OpsPage.tsx';
import { UsagePanel } from '../usage/UsagePanel.tsx';
import { ConsultationRoom } from './ConsultationRoom.tsx';
import { Dashboard } from './Dashboard.tsx';

/** A session saved before the server said its idle timeout. */
const DEFAULT_IDLE_TIMEOUT_S = 900;
/** Where to go after logging in (the page that asked for it). */
const NEXT_KEY = 'visita.next';

export type PractitionerRoute = Extract<
  Route,
  { name: 'login' | 'dashboard' | 'consultation' | 'usage' | 'audit' | 'ops' }
>;

export function PractitionerApp({ t, route }: { t: Strings; route: PractitionerRoute }) {
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

  // Logged out on a page that needs the session: to the login, and back here after it.
  const away = !session && route.name !== 'login';
  const loggedIn = session !== null && route.name === 'login';
  useEffect(() => {
    if (away) {
      sessionStorage.setItem(NEXT_KEY, location.pathname);
      navigate('/login', { replace: true });
    } else if (loggedIn) {
      const next = sessionStorage.getItem(NEXT_KEY);
      sessionStorage.removeItem(NEXT_KEY);
      navigate(next && next !== '/login' ? next : '/dashboard', { replace: true });
    }
  }, [away, loggedIn]);

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
  const inCall = route.name === 'consultation';
  return (
    <>
      <IdleGuard t={t} timeoutS={idleTimeoutS} onExpire={expire} onLost={logout} />
      {!inCall && <PractitionerNav t={t} route={route} isOps={session.role === 'ops'} onLogout={logout} />}
      {route.name === 'consultation' ? (
        <ConsultationRoom
          key={route.consultationId}
          t={t}
          consultationId={route.consultationId}
          onClose={() => navigate(pathOf({ name: 'dashboard' }))}
        />
      ) : route.name === 'usage' ? (
        <UsagePanel t={t} />
      ) : route.name === 'audit' ? (
        <AuditPage t={t} />
      ) : route.name === 'ops' ? (
        <OpsPage t={t} isOps={session.role === 'ops'} />
      ) : route.name === 'dashboard' ? (
        <Dashboard
          t={t}
          session={session}
          onLogout={logout}
          onOpen={(consultationId) => navigate(pathOf({ name: 'consultation', consultationId }))}
        />
      ) : null}
    </>
  );
}

/** Links between the practitioner's pages: real links (new tab, keyboard), moved in place. */
function PractitionerNav({
  t,
  route,
  isOps,
  onLogout,
}: {
  t: Strings;
  route: PractitionerRoute;
  isOps: boolean;
  onLogout: () => void;
}) {
  const link = (to: 'dashboard' | 'usage' | 'audit' | 'ops', label: string) => (
    <a
      href={pathOf({ name: to })}
      aria-current={route.name === to ? 'page' : undefined}
      data-testid={`nav-${to}`}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(pathOf({ name: to }));
      }}
    >
      {label}
    </a>
  );
  return (
    <nav className="practitioner-nav" aria-label={t.navLabel}>
      {link('dashboard', t.dashboardTitle)}
      {link('usage', t.usage)}
      {link('audit', t.auditTitle)}
      {isOps && link('ops', t.opsTitle)}
      <button className="link-button" onClick={onLogout} data-testid="logout">
        {t.logOut}
      </button>
    </nav>
  );
}
