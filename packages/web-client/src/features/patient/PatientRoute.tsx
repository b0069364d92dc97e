// The patient's page, opened from the link: the link checked, then the device check; the rest
// (waiting room, call, the end) is PatientConsultation. No account: the token stays in the URL fragment.
import { Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { patientLinkStatus } from '../../lib/api.ts';
import type { Strings } from '../../lib/i18n.ts';
import { preloadable } from '../../lib/preloadable.ts';
import { Loading, Panel } from '../../ui/Panel.tsx';
import { DeviceCheck, type CheckIn } from '../precall/DeviceCheck.tsx';
import { useLocalMedia } from '../precall/useLocalMedia.ts';
import { checkInKey, savedCheckIn } from './checkIn.ts';

// The waiting room and the call (Socket.IO, then mediasoup-client) load after the first screen.
const consultation = preloadable(() => import('./PatientConsultation.tsx').then((m) => m.PatientConsultation));
const loadConsultation = consultation.preload;
const PatientConsultation = consultation.Component;

type Link =
  | { status: 'checking' }
  | { status: 'dead'; why: 'ended' | 'expired' | 'revoked' | 'invalid' }
  | { status: 'open' };

export function PatientRoute({ t, consultationId }: { t: Strings; consultationId: string }) {
  const token = useMemo(() => new URLSearchParams(location.hash.slice(1)).get('t') ?? '', []);
  const [link, setLink] = useState<Link>(token ? { status: 'checking' } : { status: 'dead', why: 'invalid' });
  const { media, start } = useLocalMedia();
  const [saved] = useState(() => savedCheckIn(consultationId));
  const [checkIn, setCheckIn] = useState<CheckIn | null>(null);

  useEffect(() => {
    if (!token) return;
    let live = true;
    void patientLinkStatus(token, consultationId).then((status) => {
      if (live) setLink(status === 'open' ? { status: 'open' } : { status: 'dead', why: status });
    });
    return () => {
      live = false;
    };
  }, [token, consultationId]);
  // The camera and microphone are asked for once the link is known to work; the waiting room's
  // code is fetched meanwhile.
  const linkOpen = link.status === 'open';
  useEffect(() => {
    if (!linkOpen) return;
    start();
    void loadConsultation().catch(() => undefined);
  }, [linkOpen, start]);

  const enter = useCallback(
    (c: CheckIn) => {
      sessionStorage.setItem(checkInKey(consultationId), JSON.stringify({ name: c.name, reason: c.reason }));
      setCheckIn(c);
    },
    [consultationId],
  );
  // Back after a reload with the devices working: straight into the waiting room, same place.
  useEffect(() => {
    if (saved && !checkIn && media.status === 'ready')
      enter({ ...saved, deviceCheck: { camera: media.mode === 'full', microphone: media.mode !== 'none' } });
  }, [saved, checkIn, media, enter]);
  const over = useCallback(() => {
    sessionStorage.removeItem(checkInKey(consultationId));
    // Replaced by another device, or over: release the camera and microphone.
    if (media.status === 'ready') for (const track of media.stream.getTracks()) track.stop();
  }, [consultationId, media]);
  const dead = useCallback(
    (why: Extract<Link, { status: 'dead' }>['why']) => {
      over();
      setLink({ status: 'dead', why });
    },
    [over],
  );

  if (link.status === 'checking')
    return (
      <Panel title={t.patientTitle}>
        <p role="status">{t.linkChecking}</p>
      </Panel>
    );
  if (link.status === 'dead') {
    const text = { ended: t.linkEnded, expired: t.linkExpired, revoked: t.linkRevoked, invalid: t.linkInvalid }[
      link.why
    ];
    return (
      <Panel title={t.linkProblemTitle}>
        <p className="error" role="alert" data-testid="dead-link" data-status={link.why}>
          {text}
        </p>
      </Panel>
    );
  }
  if (!checkIn || media.status !== 'ready')
    return (
      <DeviceCheck
        t={t}
        token={token}
        consultationId={consultationId}
        media={media}
        start={start}
        initialName={saved?.name ?? ''}
        initialReason={saved?.reason ?? ''}
        onEnter={enter}
      />
    );
  return (
    <Suspense fallback={<Loading label={t.loading} />}>
      <PatientConsultation
        t={t}
        consultationId={consultationId}
        token={token}
        checkIn={checkIn}
        stream={media.stream}
        placeKept={saved !== null}
        onOver={over}
        onDead={dead}
      />
    </Suspense>
  );
}
