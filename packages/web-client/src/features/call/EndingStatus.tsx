import type { Strings } from '../../lib/i18n.ts';
import type { Ending } from './consultationState.ts';

/** This side asked to end and the server has not confirmed it yet: said, never shown as ended. */
export function EndingStatus({ t, ending }: { t: Strings; ending: Ending | undefined }) {
  if (!ending) return null;
  return (
    <p className="banner ending" role="status" data-testid="ending" data-ending={ending}>
      {ending === 'pending' ? t.ending : t.endingUnconfirmed}
    </p>
  );
}
