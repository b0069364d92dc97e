import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConsultationView, EndReason, WaitingPosition } from '@visita/protocol';
import { patientLinkStatus } from '../api.ts';
import { AdmissionPending } from '../components/AdmissionPending.tsx';
import { CallView } from '../components/CallView.tsx';
import { Chat } from '../components/Chat.tsx';
import { errorText, type Strings } from '../i18n.ts';
import { connectSignaling, request, whenConnected, type RequestError, type SignalingSocket } from '../signaling.ts';
import { useLocalMedia, useMicLevel } from '../useLocalMedia.ts';

type Phase =
  /** The link is checked first: a dead one is told before the camera is asked for. */
  | { name: 'link' }
  | { name: 'dead'; status: 'ended' | 'expired' | 'revoked' | 'invalid' }
  | { name: 'check' }
  | { name: 'waiting'; view: ConsultationView }
  | { name: 'call'; generation: number }
  | { name: 'ended'; reason: EndReason; message?: string }
  /** The link was opened on another device or tab, which took over: this page lets go of everything. */
  | { name: 'replaced' }
  | { name: 'error'; message: string };

/** The patient's page, opened from the link: device check, waiting room, call. No account. */
export function PatientPage({ t, consultationId }: { t: Strings; consultationId: string }) {
  const token = useMemo(() => new URLSearchParams(location.hash.slice(1)).get('t') ?? '', []);
  const { media, start } = useLocalMedia();
  const level = useMicLevel(media.status === 'ready' ? media.stream : null);
  const [name, setName] = useState(() => sessionStorage.getItem('visita.name') ?? '');
  const [phase, setPhase] = useState<Phase>(token ? { name: 'link' } : { name: 'dead', status: 'invalid' });
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const [socket, setSocket] = useState<SignalingSocket | null>(null);
  const [reason, setReason] = useState('');
  const [micHeard, setMicHeard] = useState(false);
  const [position, setPosition] = useState<WaitingPosition | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (level > 0.05) setMicHeard(true);
  }, [level]);

  useEffect(() => {
    if (!token) return;
    let live = true;
    void patientLinkStatus(token).then((status) => {
      if (live)
        setPhase((p) => (p.name !== 'link' ? p : status === 'open' ? { name: 'check' } : { name: 'dead', status }));
    });
    return () => {
      live = false;
    };
  }, [token]);
  // The camera and microphone are asked for once the link is known to work.
  const linkOpen = phase.name !== 'link' && phase.name !== 'dead';
  useEffect(() => (linkOpen ? start() : undefined), [linkOpen, start]);
  // Replaced by another device: release the camera and microphone too (the call's media closed
  // with the call view).
  useEffect(() => {
    if (phase.name === 'replaced' && media.status === 'ready')
      for (const track of media.stream.getTracks()) track.stop();
  }, [phase.name, media]);
  useEffect(() => () => void socket?.close(), [socket]);

  const enter = async () => {
    sessionStorage.setItem('visita.name', name.trim());
    const s = connectSignaling(token);
    setSocket(s);
    s.on('consultation:updated', (view) => setPhase((p) => (p.name === 'waiting' ? { name: 'waiting', view } : p)));
    s.on('consultation:admitted', () =>
      setPhase((p) => ({ name: 'call', generation: p.name === 'call' ? p.generation + 1 : 0 })),
    );
    s.on('consultation:ended', ({ reason, message }) =>
      setPhase({ name: 'ended', reason, ...(message ? { message } : {}) }),
    );
    s.on('waiting:position', setPosition);
    s.on('waiting:message', ({ text }) => setMessage(text));
    s.on('session:replaced', () => {
      setPhase({ name: 'replaced' });
      s.close();
    });
    const stream = media.status === 'ready' ? media.stream : null;
    const deviceCheck = {
      camera: Boolean(stream?.getVideoTracks().some((t) => t.readyState === 'live')),
      microphone: micHeard,
    };
    // After a reconnect, join again and take up where the consultation is (unless Socket.IO
    // recovered the session: then nothing was lost and the media keeps flowing).
    s.on('connect', () => {
      if (s.recovered) return;
      // In a call with media up: keep it (the media session restarts ICE and lists producers again).
      const keepMedia = phaseRef.current.name === 'call';
      request(s, 'consultation:join', {
        consultationId,
        displayName: name.trim(),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        deviceCheck,
        keepMedia,
      })
        .then((view) => {
          if (view.state === 'in_call' && !keepMedia)
            setPhase((p) => ({ name: 'call', generation: p.name === 'call' ? p.generation + 1 : 0 }));
          else if (view.state === 'waiting') setPhase({ name: 'waiting', view });
        })
        .catch((e: RequestError) => setPhase({ name: 'error', message: errorText(t, e.code) }));
    });
    await whenConnected(s).catch((e: RequestError) => setPhase({ name: 'error', message: errorText(t, e.code) }));
  };

  const hangUp = () => {
    if (socket) void request(socket, 'consultation:hangUp', { consultationId }).catch(() => undefined);
    setPhase({ name: 'ended', reason: 'hung_up' });
  };

  if (phase.name === 'link')
    return (
      <Panel title={t.patientTitle}>
        <p role="status">{t.linkChecking}</p>
      </Panel>
    );
  if (phase.name === 'dead') {
    const text = { ended: t.linkEnded, expired: t.linkExpired, revoked: t.linkRevoked, invalid: t.linkInvalid }[
      phase.status
    ];
    return (
      <Panel title={t.patientTitle}>
        <p className="error" role="alert" data-testid="dead-link" data-status={phase.status}>
          {text}
        </p>
      </Panel>
    );
  }
  if (phase.name === 'replaced')
    return (
      <Panel title={t.patientTitle}>
        <p data-testid="replaced" role="status">
          {t.replacedElsewhere}
        </p>
      </Panel>
    );
  if (phase.name === 'error')
    return (
      <Panel title={t.patientTitle}>
        <p className="error" role="alert">
          {phase.message}
        </p>
      </Panel>
    );
  if (phase.name === 'ended') {
    const text = phase.reason === 'media_lost' ? t.mediaLost : phase.reason === 'declined' ? t.declined : t.ended;
    return (
      <Panel title={t.patientTitle}>
        <p data-testid="ended">{text}</p>
        {phase.message && (
          <p data-testid="ended-message">
            <strong>{phase.message}</strong>
          </p>
        )}
      </Panel>
    );
  }
  if (phase.name === 'call' && socket && media.status === 'ready') {
    return (
      <CallView
        key={phase.generation}
        t={t}
        socket={socket}
        consultationId={consultationId}
        local={media.stream}
        onHangUp={hangUp}
      />
    );
  }
  if (phase.name === 'waiting') {
    return (
      <Panel title={t.waitingTitle}>
        <div className="pulse" aria-hidden />
        <p data-testid="waiting">
          {position
            ? t[`status_${position.practitionerStatus}`]
            : phase.view.practitionerPresent
              ? t.waitingPractitionerOnline
              : t.waitingPractitionerAway}
        </p>
        {phase.view.admission && (
          <AdmissionPending
            key={phase.view.admission.etaMs ?? -1}
            admission={phase.view.admission}
            starting={t.admittedStarting}
            waiting={t.admittedWaiting}
          />
        )}
        {position && (
          <p data-testid="position" aria-live="polite">
            <strong>{t.position(position.position)}</strong> {t.estimate(Math.round(position.estimatedWaitMs / 60_000))}
          </p>
        )}
        {message && (
          <p className="message" data-testid="practitioner-message" role="status">
            {t.messageFromPractitioner} : <strong>{message}</strong>
          </p>
        )}
        {socket && <Chat t={t} socket={socket} consultationId={consultationId} me="patient" />}
        {media.status === 'ready' && <Preview stream={media.stream} />}
      </Panel>
    );
  }
  return (
    <Panel title={t.patientTitle}>
      <h2>{t.deviceCheck}</h2>
      {media.status === 'ready' ? (
        <>
          <Preview stream={media.stream} />
          <p>{t.cameraOk}</p>
          <label>{t.micLevel}</label>
          <div className="meter">
            <div style={{ width: `${Math.round(level * 100)}%` }} />
          </div>
          <label htmlFor="name">{t.yourName}</label>
          <input
            id="name"
            data-testid="patient-name"
            value={name}
            maxLength={80}
            autoComplete="name"
            onChange={(e) => setName(e.target.value)}
          />
          <label htmlFor="reason">{t.reasonOptional}</label>
          <input
            id="reason"
            data-testid="patient-reason"
            value={reason}
            maxLength={200}
            onChange={(e) => setReason(e.target.value)}
          />
          <button data-testid="enter-waiting-room" disabled={name.trim().length === 0} onClick={() => void enter()}>
            {t.joinWaitingRoom}
          </button>
        </>
      ) : media.status === 'error' ? (
        <>
          <p className="error" role="alert">
            {t.deviceError} ({media.name}). {t.allowDevices}
          </p>
          <button onClick={start}>{t.retry}</button>
        </>
      ) : (
        <p>{t.allowDevices}</p>
      )}
    </Panel>
  );
}

export function Panel({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="panel">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

function Preview({ stream }: { stream: MediaStream }) {
  return (
    <video
      className="preview"
      autoPlay
      playsInline
      muted
      ref={(v) => {
        if (v && v.srcObject !== stream) v.srcObject = stream;
      }}
    />
  );
}
