import { useEffect, useRef, useState } from 'react';
import type { Strings } from '../i18n.ts';
import { errorText } from '../i18n.ts';
import { MediaSession } from '../MediaSession.ts';
import { request, type RequestError, type SignalingSocket } from '../signaling.ts';

declare global {
  interface Window {
    /** The current media session, for diagnostics and the end-to-end tests. */
    __visitaSession?: MediaSession | null;
    /** Date.now() when the first remote video frame of the current session was shown (join-latency benchmark). */
    __visitaFirstFrameAt?: number | null;
  }
}

interface Props {
  t: Strings;
  socket: SignalingSocket;
  consultationId: string;
  local: MediaStream;
  onHangUp: () => void;
}

/** The call: remote video full size, own preview in a corner, mute / camera / hang-up controls. */
export function CallView({ t, socket, consultationId, local, onHangUp }: Props) {
  const remoteRef = useRef<HTMLVideoElement>(null);
  const localRef = useRef<HTMLVideoElement>(null);
  const [hasVideo, setHasVideo] = useState(false);
  const [needsTap, setNeedsTap] = useState(false);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [session, setSession] = useState<MediaSession | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  // Bumped when ICE restarts could not bring the media back: the session is rebuilt (a full rejoin).
  const [rebuilds, setRebuilds] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of `rebuilds` starts a new session.
  useEffect(() => {
    const s = new MediaSession(socket, consultationId, local);
    window.__visitaSession = s;
    window.__visitaFirstFrameAt = null;
    setSession(s);
    let frameWatched = false;
    const offLost = s.onLost(() => {
      // Joining again frees this side's old media on the node; then a new session starts.
      request(socket, 'consultation:join', { consultationId })
        .then(() => setRebuilds((n) => n + 1))
        .catch((e: RequestError) => setError(errorText(t, e.code)));
    });
    const off = s.onChange(() => {
      setReconnecting(s.connection === 'reconnecting');
      const v = remoteRef.current;
      if (!v) return;
      if (v.srcObject !== s.remoteStream) v.srcObject = s.remoteStream;
      const video = s.remoteStream.getVideoTracks().length > 0;
      setHasVideo(video);
      if (video && !frameWatched && 'requestVideoFrameCallback' in v) {
        frameWatched = true;
        v.requestVideoFrameCallback(() => {
          window.__visitaFirstFrameAt ??= Date.now();
        });
      }
      // Autoplay with sound can be refused (mobile browsers): fall back to muted and offer a tap.
      v.play().catch(() => {
        v.muted = true;
        setNeedsTap(true);
        void v.play().catch(() => undefined);
      });
    });
    s.start().catch((e: RequestError) => setError(errorText(t, e.code)));
    return () => {
      off();
      offLost();
      s.close();
      if (window.__visitaSession === s) window.__visitaSession = null;
    };
  }, [socket, consultationId, local, t, rebuilds]);

  useEffect(() => {
    if (localRef.current) localRef.current.srcObject = local;
  }, [local]);

  const toggle = (kind: 'audio' | 'video', paused: boolean) => {
    for (const track of kind === 'audio' ? local.getAudioTracks() : local.getVideoTracks()) track.enabled = !paused;
    if (kind === 'audio') setMuted(paused);
    else setCameraOff(paused);
    void session?.setPaused(kind, paused).catch(() => undefined);
  };

  return (
    <div className="call">
      <video ref={remoteRef} className="remote" data-testid="remote-video" autoPlay playsInline />
      {!hasVideo && <p className="call-hint">{t.waitingForVideo}</p>}
      {reconnecting && (
        <p className="reconnecting" role="status" data-testid="reconnecting">
          {t.reconnecting}
        </p>
      )}
      {needsTap && (
        <button
          className="tap-sound"
          onClick={() => {
            if (remoteRef.current) remoteRef.current.muted = false;
            void remoteRef.current?.play();
            setNeedsTap(false);
          }}
        >
          {t.tapForSound}
        </button>
      )}
      <video ref={localRef} className="local" autoPlay playsInline muted />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="controls">
        <button data-testid="toggle-mic" onClick={() => toggle('audio', !muted)} aria-pressed={muted}>
          {muted ? t.unmute : t.mute}
        </button>
        <button data-testid="toggle-camera" onClick={() => toggle('video', !cameraOff)} aria-pressed={cameraOff}>
          {cameraOff ? t.cameraOn : t.cameraOff}
        </button>
        <button data-testid="hang-up" className="danger" onClick={onHangUp}>
          {t.hangUp}
        </button>
      </div>
    </div>
  );
}
