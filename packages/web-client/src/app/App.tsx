import { useState } from 'react';
import { initialLang, strings, type Lang } from './i18n.ts';
import { DoctorPage } from './pages/DoctorPage.tsx';
import { PatientPage } from './pages/PatientPage.tsx';

/** Two pages: `/c/<consultationId>#t=<token>` for the patient, anything else for the practitioner. */
export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = strings[lang];
  const patientMatch = /^\/c\/([A-Za-z0-9_-]{1,64})\/?$/.exec(location.pathname);
  const switchLang = () => {
    const next: Lang = lang === 'fr' ? 'en' : 'fr';
    localStorage.setItem('visita.lang', next);
    document.documentElement.lang = next;
    setLang(next);
  };
  return (
    <>
      <header>
        <span className="brand">{t.appName}</span>
        <button className="link-button" onClick={switchLang}>
          {t.switchLanguage}
        </button>
      </header>
      {patientMatch ? <PatientPage t={t} consultationId={patientMatch[1]!} /> : <DoctorPage t={t} />}
    </>
  );
}
