// An admission waiting for a media server with room: the autoscaler's estimate, counted down.
import { useEffect, useState } from 'react';
import type { PendingAdmissionView } from '@visita/protocol';

export function AdmissionPending({
  admission,
  starting,
  waiting,
}: {
  admission: PendingAdmissionView;
  /** The text with an estimate, in seconds. */
  starting: (s: number) => string;
  /** The text without one. */
  waiting: string;
}) {
  const [received] = useState(() => Date.now());
  const [now, setNow] = useState(received);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = admission.etaMs === null ? null : Math.max(1, Math.ceil((admission.etaMs - (now - received)) / 1000));
  return (
    <p className="notice" role="status" data-testid="admission-pending">
      {left === null ? waiting : starting(left)}
    </p>
  );
}
