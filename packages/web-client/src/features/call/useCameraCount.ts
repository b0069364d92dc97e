import { useEffect, useState } from 'react';

/** How many cameras the device has (the switch is offered from two). */
export function useCameraCount(local: MediaStream): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (local.getVideoTracks().length === 0) return;
    const read = () =>
      navigator.mediaDevices
        .enumerateDevices()
        .then((d) => setCount(d.filter((x) => x.kind === 'videoinput').length))
        .catch(() => undefined);
    void read();
    navigator.mediaDevices.addEventListener?.('devicechange', read);
    return () => navigator.mediaDevices.removeEventListener?.('devicechange', read);
  }, [local]);
  return count;
}
