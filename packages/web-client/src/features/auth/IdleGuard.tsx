import type { Strings } from '../../lib/i18n.ts';
import { useIdleLogout } from './useIdleLogout.ts';

/** Automatic logoff: a warning with "Stay signed in" before it, then `onExpire`. */
export function IdleGuard({
  t,
  timeoutS,
  onExpire,
  onLost,
}: {
  t: Strings;
  timeoutS: number;
  onExpire: () => void;
  onLost: () => void;
}) {
  const { secondsLeft, stay } = useIdleLogout(timeoutS, onExpire, onLost);
  if (secondsLeft === null) return null;
  return (
    <div
      className="idle-warning"
      role="alertdialog"
      aria-live="assertive"
      aria-labelledby="idle-warning-text"
      data-testid="idle-warning"
    >
      <p id="idle-warning-text">{t.idleWarning(secondsLeft)}</p>
      <button data-testid="stay-signed-in" onClick={stay} autoFocus>
        {t.staySignedIn}
      </button>
    </div>
  );
}
