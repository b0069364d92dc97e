// Above the call: who is on the other side, the call's duration, the network's quality.
import { useEffect, useState } from 'react';
import type { Strings } from '../../lib/i18n.ts';
import type { NetworkQuality } from './quality.ts';

/** Minutes and seconds since the call started (a timer role: screen readers do not announce each tick). */
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

/** The network's quality in bars and words. */
export function QualityBadge({ t, quality }: { t: Strings; quality: NetworkQuality | null }) {
  if (!quality) return null;
  const bars = quality === 'good' ? 3 : quality === 'fair' ? 2 : 1;
  return (
    <span className={`quality ${quality}`} data-testid="network-quality" data-quality={quality}>
      <span className="bars" aria-hidden>
        {[1, 2, 3].map((i) => (
          <i key={i} className={i <= bars ? 'on' : ''} />
        ))}
      </span>
      <span className="quality-text">{t[`quality_${quality}`]}</span>
    </span>
  );
}
