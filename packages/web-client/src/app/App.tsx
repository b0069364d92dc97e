// The shell: the language (and <html lang>), the header, and the screen the path names. Each
// side's code is its own chunk: a patient's phone loads the patient's pages only.
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { pageLocale } from '../lib/format.ts';
import { initialLang, strings, type Lang } from '../lib/i18n.ts';
import { Loading, Panel } from '../ui/Panel.tsx';
import { useRoute } from './router.ts';

const PatientRoute = lazy(() =>
  import('../features/patient/PatientRoute.tsx').then((m) => ({ default: m.PatientRoute })),
);
const PractitionerApp = lazy(() =>
  import('../features/dashboard/PractitionerApp.tsx').then((m) => ({ default: m.PractitionerApp })),
);

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  // Dates and numbers in the browser's own locale when it speaks this language (en-US, fr-CA…).
  const t = useMemo(() => ({ ...strings[lang], locale: pageLocale(lang, navigator.languages) }), [lang]);
  const route = useRoute();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const switchLang = () => {
    const next: Lang = lang === 'fr' ? 'en' : 'fr';
    localStorage.setItem('visita.lang', next);
    setLang(next);
  };
  return (
    <>
      <header>
        <span className="brand">{t.appName}</span>
        <button
          className="link-button"
          data-testid="switch-language"
          onClick={switchLang}
          lang={lang === 'fr' ? 'en' : 'fr'}
        >
          {t.switchLanguage}
        </button>
      </header>
      <Suspense fallback={<Loading label={t.loading} />}>
        {route.name === 'patient' ? (
          <PatientRoute t={t} consultationId={route.consultationId} />
        ) : route.name === 'notFound' ? (
          <Panel title={t.notFoundTitle}>
            <p>{t.notFound}</p>
          </Panel>
        ) : (
          <PractitionerApp t={t} route={route} />
        )}
      </Suspense>
    </>
  );
}
