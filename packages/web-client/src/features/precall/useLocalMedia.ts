import { useCallback, useEffect, useRef, useState } from 'react';

/** What the patient shares: camera and microphone, the microphone only, or nothing (chat only). */
export type MediaMode = 'full' | 'audio' | 'none';

export type LocalMedia =
  | { status: 'idle' | 'starting' }
  | { status: 'ready'; stream: MediaStream; mode: MediaMode }
  | { status: 'error'; name: string };

const VIDEO: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 24 },
  facingMode: 'user',
};

/** Camera + microphone (or less), started on demand; the previous stream stops, and all on unmount. */
export function useLocalMedia(): { media: LocalMedia; start: (mode?: MediaMode) => void } {
  const [media, setMedia] = useState<LocalMedia>({ status: 'idle' });
  const streamRef = useRef<MediaStream | null>(null);

  const start = useCallback((mode: MediaMode = 'full') => {
    for (const t of streamRef.current?.getTracks() ?? []) t.stop();
    streamRef.current = null;
    if (mode === 'none') {
      streamRef.current = new MediaStream();
      setMedia({ status: 'ready', stream: streamRef.current, mode });
      return;
    }
    setMedia({ status: 'starting' });
    navigator.mediaDevices
      .getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: mode === 'full' ? VIDEO : false,
      })
      .then((stream) => {
        streamRef.current = stream;
        setMedia({ status: 'ready', stream, mode });
      })
      .catch((e: Error) => setMedia({ status: 'error', name: e.name }));
  }, []);

  useEffect(
    () => () => {
      for (const t of streamRef.current?.getTracks() ?? []) t.stop();
    },
    [],
  );
  return { media, start };
}

/** 0..1 loudness of the microphone, for the pre-call check. */
export function useMicLevel(stream: MediaStream | null): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!stream || stream.getAudioTracks().length === 0) return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    let raf = 0;
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      // Whole percents: a re-render only when the meter visibly moves.
      setLevel(Math.round(Math.min(1, peak / 64) * 100) / 100);
      raf = requestAnimationFrame(tick);
    };
    tick();
    return () => {
      cancelAnimationFrame(raf);
      void ctx.close();
    };
  }, [stream]);
  return level;
}
