// One's own picture in the call: small, in a corner, moved by dragging (it snaps to the nearest corner).
import { useState } from 'react';
import type { Strings } from '../../lib/i18n.ts';

export function SelfView({
  t,
  stream,
  mirrored,
  off,
}: {
  t: Strings;
  stream: MediaStream;
  mirrored: boolean;
  off: boolean;
}) {
  const [corner, setCorner] = useState<{ top: boolean; left: boolean }>({ top: true, left: false });
  const [drag, setDrag] = useState<{ x: number; y: number; dx: number; dy: number } | null>(null);
  return (
    <figure
      className={`pip ${corner.top ? 'top' : 'bottom'} ${corner.left ? 'left' : 'right'}${off ? ' off' : ''}`}
      data-testid="self-view"
      style={drag ? { transform: `translate(${drag.dx}px, ${drag.dy}px)` } : undefined}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        setDrag({ x: e.clientX, y: e.clientY, dx: 0, dy: 0 });
      }}
      onPointerMove={(e) => drag && setDrag({ ...drag, dx: e.clientX - drag.x, dy: e.clientY - drag.y })}
      onPointerUp={(e) => {
        setDrag(null);
        const stage = e.currentTarget.parentElement?.getBoundingClientRect();
        if (!stage) return;
        setCorner({
          top: e.clientY < stage.top + stage.height / 2,
          left: e.clientX < stage.left + stage.width / 2,
        });
      }}
      onPointerCancel={() => setDrag(null)}
    >
      <video
        aria-label={t.selfView}
        className={mirrored ? 'mirrored' : ''}
        autoPlay
        playsInline
        muted
        ref={(v) => {
          if (v && v.srcObject !== stream) v.srcObject = stream;
        }}
      />
      {off && <figcaption>{t.cameraIsOff}</figcaption>}
    </figure>
  );
}
