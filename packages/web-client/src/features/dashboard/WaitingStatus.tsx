// The status shown on the waiting patient's screen, under their place in the line (the protocol's
// `waiting:message`): one short line that replaces the previous one, picked from presets ("running
// about 5 minutes late") or written. Not a conversation — that is the chat, below it.
import { useState } from 'react';
import type { Strings } from '../../lib/i18n.ts';
import { request, type RequestError, type SignalingSocket } from '../../lib/signaling.ts';

export function WaitingStatus({
  t,
  socket,
  consultationId,
  onError,
}: {
  t: Strings;
  socket: SignalingSocket;
  consultationId: string;
  onError: (e: RequestError) => void;
}) {
  const [text, setText] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const show = (value: string) =>
    request(socket, 'waiting:message', { consultationId, text: value }).then(() => {
      setShown(value);
      setText('');
    }, onError);
  return (
    <section className="waiting-status" aria-labelledby="waiting-status-title" data-testid="waiting-status">
      <h2 id="waiting-status-title">{t.statusTitle}</h2>
      <p className="hint">{t.statusHelp}</p>
      <div className="presets">
        {t.statusPresets.map((p) => (
          <button key={p.label} className="secondary" data-testid="status-preset" onClick={() => void show(p.text)}>
            {p.label}
          </button>
        ))}
      </div>
      <label htmlFor="message">{t.statusOwn}</label>
      <div className="link">
        <input
          id="message"
          data-testid="message-text"
          maxLength={280}
          placeholder={t.messagePlaceholder}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button data-testid="message-send" disabled={!text.trim()} onClick={() => void show(text.trim())}>
          {t.statusShow}
        </button>
      </div>
      {shown && (
        <p className="status-shown" data-testid="status-shown" role="status">
          {t.statusShownNow} <strong>{shown}</strong>
        </p>
      )}
    </section>
  );
}
