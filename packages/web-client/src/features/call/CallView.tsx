// The call, phone first: the other side full-bleed (a landscape picture whole on a portrait phone),
// named, with their muted microphone or camera said as theirs; one's own picture small and movable,
// large labelled controls at the thumb, the network's state, a timer from the admission. The chat
// sits beside the video on a wide screen and opens as a sheet over it on a phone; a participant who
// joined by sound or the chat only is told so, with the chat open.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Role } from '@visita/protocol';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { exposeSession, forgetSession, markFirstFrame } from '../../lib/diagnostics.ts';
import { request, type RequestError, type SignalingSocket } from '../../lib/signaling.ts';
import { useTitle } from '../../ui/Panel.tsx';
import { ServiceBanner } from '../../ui/ServiceBanner.tsx';
import { Icon } from '../../ui/Icon.tsx';
import { autoplayRefused, initials, streamMedia, type SharedMedia } from './callDisplay.ts';
import { CallControls } from './CallControls.tsx';
import { CallTimer, QualityBadge } from './CallTop.tsx';
import type { Ending } from './consultationState.ts';
import { EndingStatus } from './EndingStatus.tsx';
import { MediaSession, type RemoteTrackState } from './MediaSession.ts';
import type { NetworkQuality } from './quality.ts';
import { SelfView } from './SelfView.tsx';
import { useCallChat } from './useCallChat.ts';
import { useCameraCount } from './useCameraCount.ts';
import { useVideoFit } from './useVideoFit.ts';

interface Props {
  t: Strings;
  socket: SignalingSocket;
  consultationId: string;
  local: MediaStream;
  onHangUp: () => void;
  /** Who is on the other side (the practitioner sees the patient's name, the patient the practitioner's). */
  peerName?: string | undefined;
  /** A line under the name (the practitioner sees the patient's reason for the visit). */
  peerDetail?: string | undefined;
  /** What the other side joined with, when known (the patient's device check): said instead of waiting for video. */
  peerMedia?: SharedMedia | undefined;
  /** When the call began (the admission, epoch ms); unknown: from this view's start. */
  since?: number | null | undefined;
  /** The chat: beside the video on a wide screen, a sheet over it on a phone. */
  side?: ReactNode;
  /** This side's role, to count the other side's messages while the sheet is closed. */
  me?: Role;
  /** This side hung up and the server has not confirmed it yet. */
  ending?: Ending | undefined;
}

/** How often the network's quality is sampled. */
const QUALITY_EVERY_MS = 2_000;

export function CallView(props: Props) {
  const { t, socket, consultationId, local, onHangUp, peerName, peerDetail, peerMedia, since, side, me, ending } =
    props;
  useTitle(peerName ? `${t.callTitle} — ${peerName}` : t.callTitle);
  const remoteRef = useRef<HTMLVideoElement>(null);
  const fit = useVideoFit(remoteRef);
  const [needsTap, setNeedsTap] = useState(false);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(local.getVideoTracks().length === 0);
  // Kept as what went wrong, said in the page's language when shown: a language switch leaves the media alone.
  const [error, setError] = useState<{ code: string } | { device: string } | null>(null);
  const [session, setSession] = useState<MediaSession | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const [remote, setRemote] = useState<{ audio: RemoteTrackState; video: RemoteTrackState }>({
    audio: 'none',
    video: 'none',
  });
  const [quality, setQuality] = useState<NetworkQuality | null>(null);
  const [mountedAt] = useState(Date.now);
  const own = streamMedia(local);
  // Sound or the chat only: the chat is what this side has to say things, open from the start.
  const chat = useCallChat(socket, consultationId, side ? me : undefined, own !== 'full');
  // Bumped when ICE restarts could not bring the media back: the session is rebuilt (a full rejoin).
  const [rebuilds, setRebuilds] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of `rebuilds` starts a new session.
  useEffect(() => {
    const s = new MediaSession(socket, consultationId, local);
    exposeSession(s);
    setSession(s);
    let frameWatched = false;
    const play = (v: HTMLVideoElement) =>
      v.play().catch((e: unknown) => {
        // Autoplay with sound refused (mobile browsers): play muted and offer a tap. Any other
        // failure (a stream replaced while play() waited: AbortError) leaves the sound alone.
        if (!autoplayRefused(e)) return;
        v.muted = true;
        setNeedsTap(true);
        void v.play().catch(() => undefined);
      });
    const offLost = s.on('lost', () => {
      // Joining again frees this side's old media on the node; then a new session starts.
      request(socket, 'consultation:join', { consultationId })
        .then(() => setRebuilds((n) => n + 1))
        .catch((e: RequestError) => setError({ code: e.code }));
    });
    const off = s.on('change', () => {
      setReconnecting(s.connection === 'reconnecting');
      setRemote(s.remote);
      const v = remoteRef.current;
      if (!v) return;
      if (v.srcObject !== s.remoteStream) v.srcObject = s.remoteStream;
      const video = s.remoteStream.getVideoTracks().length > 0;
      if (video && !frameWatched && 'requestVideoFrameCallback' in v) {
        frameWatched = true;
        v.requestVideoFrameCallback(markFirstFrame);
      }
      play(v);
    });
    // Back from the background (iOS pauses media elements of a hidden tab): play again.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && remoteRef.current?.paused) play(remoteRef.current);
    };
    document.addEventListener('visibilitychange', onVisible);
    const sampler = setInterval(() => {
      s.networkQuality().then(setQuality, () => undefined);
    }, QUALITY_EVERY_MS);
    s.start().catch((e: RequestError) => setError({ code: e.code }));
    return () => {
      off();
      offLost();
      clearInterval(sampler);
      document.removeEventListener('visibilitychange', onVisible);
      s.close();
      forgetSession(s);
    };
  }, [socket, consultationId, local, rebuilds]);

  const toggle = (kind: 'audio' | 'video', paused: boolean) => {
    for (const track of kind === 'audio' ? local.getAudioTracks() : local.getVideoTracks()) track.enabled = !paused;
    if (kind === 'audio') setMuted(paused);
    else setCameraOff(paused);
    void session?.setPaused(kind, paused).catch(() => undefined);
  };

  const cameras = useCameraCount(local);
  const [facing, setFacing] = useState<'user' | 'environment'>('user');
  const switchCamera = async () => {
    const next = facing === 'user' ? 'environment' : 'user';
    try {
      const [track] = (
        await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: next }, width: { ideal: 640 } } })
      ).getVideoTracks();
      if (!track) return;
      track.enabled = !cameraOff;
      await session?.replaceTrack(track);
      for (const old of local.getVideoTracks()) {
        local.removeTrack(old);
        old.stop();
      }
      local.addTrack(track);
      setFacing(next);
    } catch (e) {
      setError({ device: (e as Error).name });
    }
  };

  const hasLocalVideo = own === 'full';
  // The other side without a camera from the start, as their device check said: said so, no
  // waiting. By sound when their microphone is in the call (the check's `microphone` only says the
  // meter heard it), else as the check said.
  const peerWithout =
    remote.video === 'none' && peerMedia && peerMedia !== 'full'
      ? remote.audio !== 'none'
        ? 'audio'
        : peerMedia
      : null;
  const who = peerName ?? t.theOtherSide;
  return (
    <div className={side ? 'call with-side' : 'call'} data-testid="call">
      <section className="stage" aria-label={peerName ? `${t.callTitle} — ${peerName}` : t.callTitle}>
        <video
          ref={remoteRef}
          className="remote"
          data-testid="remote-video"
          data-fit={fit}
          aria-label={who}
          autoPlay
          playsInline
        />
        {remote.video !== 'live' && (
          <div className="avatar" data-testid="remote-camera-off" data-state={remote.video}>
            <span aria-hidden data-testid="remote-initials">
              {initials(peerName)}
            </span>
            <p data-testid="remote-video-state">
              {peerWithout === 'none'
                ? t.peerJoinedByChat(who)
                : peerWithout === 'audio'
                  ? t.peerJoinedBySound(who)
                  : remote.video === 'paused'
                    ? peerName
                      ? t.remoteCameraOffOf(peerName)
                      : t.remoteCameraOff
                    : t.waitingForVideo}
            </p>
          </div>
        )}
        <div className="call-head">
          <div className="call-top">
            {peerName && (
              <strong className="peer" data-testid="peer-name">
                {peerName}
              </strong>
            )}
            {peerDetail && (
              <span className="peer-detail" data-testid="peer-detail">
                {peerDetail}
              </span>
            )}
            <CallTimer t={t} since={since ?? mountedAt} />
            <QualityBadge t={t} quality={quality} reconnecting={reconnecting} />
          </div>
          {remote.audio === 'paused' && (
            <p className="remote-muted" role="status" data-testid="remote-muted">
              <Icon name="micOff" /> {peerName ? t.remoteMutedOf(peerName) : t.remoteMuted}
            </p>
          )}
          {reconnecting && (
            <p className="banner reconnecting" role="status" data-testid="reconnecting">
              {t.reconnecting}
            </p>
          )}
          {own !== 'full' && (
            <p className="own-media" role="status" data-testid="own-media" data-media={own}>
              {own === 'none' ? t.youJoinedByChat : t.youJoinedBySound}
            </p>
          )}
        </div>
        <ServiceBanner t={t} socket={socket} />
        <EndingStatus t={t} ending={ending} />
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
        {hasLocalVideo && <SelfView t={t} stream={local} mirrored={facing === 'user'} off={cameraOff} />}
        {error && (
          <p className="error call-error" role="alert">
            {'code' in error ? errorText(t, error.code) : `${t.deviceError} (${error.device})`}
          </p>
        )}
        <CallControls
          t={t}
          microphone={own !== 'none'}
          camera={hasLocalVideo}
          cameras={cameras}
          muted={muted}
          cameraOff={cameraOff}
          chat={side ? chat : null}
          onToggle={toggle}
          onSwitchCamera={() => void switchCamera()}
          onHangUp={onHangUp}
        />
      </section>
      {side && (
        <aside className={chat.open ? 'call-side open' : 'call-side'} aria-label={t.chat} data-testid="call-chat">
          <button className="secondary phone-only" data-testid="close-chat" onClick={chat.toggle}>
            {t.closeChat}
          </button>
          {side}
        </aside>
      )}
    </div>
  );
}
