// One consultation in the practitioner's list: its state, the patient, when it was created; while
// nobody has used it, its link (copied only while it still works) and a way to close it.
import { useEffect, useState } from 'react';
import type { ConsultationView, PatientLinkStatus } from '@visita/protocol';
import { patientLinkStatus } from '../../lib/api.ts';
import { dateTime } from '../../lib/format.ts';
import type { Strings } from '../../lib/i18n.ts';
import type { ListedKind } from './consultationList.ts';

export function ConsultationRow({
  t,
  c,
  kind,
  link,
  onOpen,
  onClose,
}: {
  t: Strings;
  c: ConsultationView;
  kind: ListedKind;
  /** The patient link kept when this browser created the consultation. */
  link: string | undefined;
  onOpen: (consultationId: string) => void;
  onClose: (consultationId: string) => void;
}) {
  const [confirm, setConfirm] = useState(false);
  return (
    <li data-testid="consultation" data-consultation-id={c.consultationId}>
      <span className={`badge ${c.state}`}>{t[`state_${c.state}`]}</span>
      <strong>{c.patientName ?? (kind === 'ended' ? t.aPatient : t.noNameYet)}</strong>
      <span className="hint">{dateTime(t.locale, c.createdAt)}</span>
      {kind === 'unused' && link && <LinkBox t={t} link={link} consultationId={c.consultationId} />}
      {kind !== 'ended' && (
        <button data-testid="open-consultation" onClick={() => onOpen(c.consultationId)}>
          {t.open}
        </button>
      )}
      {kind === 'unused' &&
        (confirm ? (
          <span className="confirm" role="group" aria-label={t.closeQuestion}>
            {t.closeQuestion}{' '}
            <button className="danger" data-testid="close-confirm" onClick={() => onClose(c.consultationId)}>
              {t.closeConfirm}
            </button>
            <button className="secondary" onClick={() => setConfirm(false)} autoFocus>
              {t.cancel}
            </button>
          </span>
        ) : (
          <button className="secondary" data-testid="close-consultation" onClick={() => setConfirm(true)}>
            {t.closeConsultation}
          </button>
        ))}
    </li>
  );
}

/** The link and its Copy button, while the link still opens the consultation; else why not. */
function LinkBox({ t, link, consultationId }: { t: Strings; link: string; consultationId: string }) {
  const [status, setStatus] = useState<PatientLinkStatus['status'] | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    const token = new URLSearchParams(new URL(link).hash.slice(1)).get('t') ?? '';
    let live = true;
    void patientLinkStatus(token, consultationId).then((s) => live && setStatus(s));
    return () => {
      live = false;
    };
  }, [link, consultationId]);
  if (status === null) return null;
  if (status !== 'open')
    return (
      <span className="badge warn" data-testid="link-dead">
        {status === 'expired' ? t.linkDeadExpired : t.linkDeadReplaced}
      </span>
    );
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
