// The patient's check before the waiting room: camera preview, microphone meter, a test sound, a
// network test to the media server, name and reason. When the devices cannot be started, steps for
// this browser, and ways on without them.
import { useEffect, useState } from 'react';
import type { DeviceCheck as DeviceCheckResult, NetworkGrade } from '@visita/protocol';
import type { Strings } from '../../lib/i18n.ts';
import { Panel } from '../../ui/Panel.tsx';
import { VideoPreview } from '../../ui/VideoPreview.tsx';
import { NetworkCheck } from './NetworkCheck.tsx';
import { platformOf, problemOf } from './permissionHelp.ts';
import { useMicLevel, type LocalMedia, type MediaMode } from './useLocalMedia.ts';

export interface CheckIn {
  name: string;
  reason: string;
  deviceCheck: DeviceCheckResult;
}

export function DeviceCheck({
  t,
  token,
  consultationId,
  media,
  start,
  initialName,
  initialReason,
  onEnter,
}: {
  t: Strings;
  token: string;
  consultationId: string;
  media: LocalMedia;
  start: (mode?: MediaMode) => void;
  initialName: string;
  initialReason: string;
  onEnter: (c: CheckIn) => void;
}) {
  const stream = media.status === 'ready' ? media.stream : null;
  const level = useMicLevel(stream);
  const [micHeard, setMicHeard] = useState(false);
  const [name, setName] = useState(initialName);
  const [reason, setReason] = useState(initialReason);
  const [network, setNetwork] = useState<NetworkGrade | null>(null);
  useEffect(() => {
    if (level > 0.05) setMicHeard(true);
  }, [level]);

  const enter = () =>
    onEnter({
      name: name.trim(),
      reason: reason.trim(),
      deviceCheck: {
        camera: Boolean(stream?.getVideoTracks().some((track) => track.readyState === 'live')),
        microphone: micHeard,
        ...(network ? { network } : {}),
      },
    });

  return (
    <Panel title={t.deviceCheck}>
      {media.status === 'error' && <DeviceHelp t={t} errorName={media.name} start={start} />}
      {media.status === 'idle' || media.status === 'starting' ? <p role="status">{t.allowDevices}</p> : null}
      {media.status === 'ready' && (
        <>
          {media.mode === 'audio' && <p className="notice">{t.audioOnlyNote}</p>}
          {media.mode === 'none' && <p className="notice">{t.chatOnlyNote}</p>}
          {/* On a phone the preview sits beside the microphone: the form stays on the first screen. */}
          <div className={media.mode === 'full' ? 'check-media' : undefined}>
            {media.mode === 'full' && <VideoPreview stream={media.stream} label={t.selfView} />}
            {media.mode !== 'none' && (
              <div>
                {media.mode === 'full' && <p>{t.cameraOk}</p>}
                <p id="mic-meter-label">{t.micLevel}</p>
                <div
                  className="meter"
                  role="meter"
                  aria-labelledby="mic-meter-label"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(level * 100)}
                  aria-valuetext={micHeard ? t.micHeard : t.micNotHeard}
                  data-testid="mic-meter"
                >
                  <div style={{ width: `${Math.round(level * 100)}%` }} />
                </div>
                <p className="hint" aria-live="polite">
                  {micHeard ? t.micHeard : ''}
                </p>
              </div>
            )}
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
          <button data-testid="enter-waiting-room" disabled={name.trim().length === 0} onClick={enter}>
            {t.joinWaitingRoom}
          </button>
          {media.mode !== 'none' && <SpeakerTest t={t} />}
        </>
      )}
      {/* Never blocks the check-in: its grade goes with it when it has finished. */}
      <NetworkCheck t={t} token={token} consultationId={consultationId} onGrade={setNetwork} />
    </Panel>
  );
}

/** Why the devices did not start, what to do in this browser, and how to go on without them. */
function DeviceHelp({ t, errorName, start }: { t: Strings; errorName: string; start: (mode?: MediaMode) => void }) {
  const problem = problemOf(errorName);
  const platform = platformOf(navigator.userAgent, navigator.maxTouchPoints);
  return (
    <section className="device-help" data-testid="device-help" data-problem={problem} data-platform={platform}>
      <p className="error" role="alert">
        {problem === 'denied'
          ? t.devicesDenied
          : problem === 'missing'
            ? t.devicesMissing
            : problem === 'busy'
              ? t.devicesBusy
              : `${t.deviceError} (${errorName}).`}
      </p>
      {problem === 'denied' && (
        <ol className="steps" data-testid="permission-steps">
          {t[`permissionSteps_${platform}`].map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
      )}
      <button data-testid="retry-devices" onClick={() => start('full')}>
        {t.retry}
      </button>
      <p className="hint">{t.orContinue}</p>
      <button className="secondary" data-testid="audio-only" onClick={() => start('audio')}>
        {t.continueAudioOnly}
      </button>
      <button className="secondary" data-testid="chat-only" onClick={() => start('none')}>
        {t.continueChatOnly}
      </button>
    </section>
  );
}

/** A short chime through the speakers: the patient knows they will hear the practitioner. */
function SpeakerTest({ t }: { t: Strings }) {
  const [playing, setPlaying] = useState(false);
  const play = () => {
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    const now = ctx.currentTime;
    for (const [i, f] of [660, 880].entries()) {
      const osc = ctx.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(now + i * 0.4);
      osc.stop(now + i * 0.4 + 0.35);
    }
    gain.gain.setValueAtTime(0.2, now);
    setPlaying(true);
    setTimeout(() => {
      setPlaying(false);
      void ctx.close();
    }, 900);
  };
  return (
    <p>
      <button className="secondary" data-testid="speaker-test" onClick={play} disabled={playing}>
        {t.speakerTest}
      </button>
      <span className="hint" aria-live="polite">
        {playing ? t.speakerPlaying : ''}
      </span>
    </p>
  );
}
