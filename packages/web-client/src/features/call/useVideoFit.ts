import { useEffect, useState, type RefObject } from 'react';
import { videoFit, type VideoFit } from './callDisplay.ts';

/** How the other side's picture fits the stage, followed as its size or the screen's changes. */
export function useVideoFit(ref: RefObject<HTMLVideoElement | null>): VideoFit {
  const [fit, setFit] = useState<VideoFit>('cover');
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    const read = () => setFit(videoFit(v.videoWidth, v.videoHeight, v.clientWidth, v.clientHeight));
    // 'resize': the picture's size changed (the first frame, a rotated or switched camera).
    v.addEventListener('resize', read);
    v.addEventListener('loadedmetadata', read);
    const observer = new ResizeObserver(read);
    observer.observe(v);
    read();
    return () => {
      v.removeEventListener('resize', read);
      v.removeEventListener('loadedmetadata', read);
      observer.disconnect();
    };
  }, [ref]);
  return fit;
}
