// Above the call: who is on the other side, the call's duration, the network's state.
import { useEffect, useState } from 'react';
import type { Strings } from '../../lib/i18n.ts';
import type { NetworkQuality } from './quality.ts';

/**
 * Minutes and seconds since the call started — the admission, as the bill counts, not since this
 * view appeared (a media rebuild remounts it). A timer role: screen readers do not announce each tick.
 */
export function CallTimer({ t, since }: { t: Strings; since: number }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const s = Math.max(0, Math.floor((now - since) / 1000));
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return (
    <span className="timer" role="timer" aria-label={t.callDuration} data-testid="call-timer">
      {text}
    </span>
  );
}

/** The network in bars and words; while the connection is being restored, it says so (no bars). */
export function QualityBadge({
  t,
  quality,
  reconnecting,
}: {
  t: Strings;
  quality: NetworkQuality | null;
  reconnecting: boolean;
}) {
  const shown = reconnecting ? 'reconnecting' : quality;
  if (!shown) return null;
  const bars = shown === 'good' ? 3 : shown === 'fair' ? 2 : shown === 'poor' ? 1 : 0;
  return (
    <span className={`quality ${shown}`} data-testid="network-quality" data-quality={shown}>
      <span className="bars" aria-hidden>
        {[1, 2, 3].map((i) => (
          <i key={i} className={i <= bars ? 'on' : ''} />
        ))}
      </span>
      <span className="quality-text">{t[`quality_${shown}`]}</span>
    </span>
  );
}
