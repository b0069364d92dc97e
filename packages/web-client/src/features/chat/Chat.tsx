import { useEffect, useState } from 'react';
import type { ChatMessage, Role } from '@visita/protocol';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { request, type RequestError, type SignalingSocket } from '../../lib/signaling.ts';

/** The patient–practitioner chat of one consultation; history is reloaded after a reconnection. */
export function Chat({
  t,
  socket,
  consultationId,
  me,
}: {
  t: Strings;
  socket: SignalingSocket;
  consultationId: string;
  me: Role;
}) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const add = (m: ChatMessage) => setMessages((list) => (list.some((x) => x.id === m.id) ? list : [...list, m]));
    const load = () => {
      request(socket, 'chat:history', { consultationId }).then(
        (h) => setMessages(h.messages),
        () => undefined,
      );
    };
    const onConnect = () => {
      if (!socket.recovered) load();
    };
    socket.on('chat:message', add);
    socket.on('connect', onConnect);
    if (socket.connected) load();
    return () => {
      socket.off('chat:message', add);
      socket.off('connect', onConnect);
    };
  }, [socket, consultationId]);

  const send = () => {
    const body = text.trim();
    if (!body) return;
    request(socket, 'chat:send', { consultationId, text: body }).then(
      (m) => {
        setMessages((list) => (list.some((x) => x.id === m.id) ? list : [...list, m]));
        setText('');
        setError(null);
      },
      (e: RequestError) => setError(errorText(t, e.code)),
    );
  };

  return (
    <section className="chat" aria-label={t.chat}>
      <h2>{t.chat}</h2>
      <ul data-testid="chat-messages" aria-live="polite">
        {messages.map((m) => (
          <li key={m.id} className={m.from === me ? 'mine' : 'theirs'}>
            <span className="who">
              {m.from === me ? t.you : m.from === 'practitioner' ? t.thePractitioner : t.thePatient}
            </span>{' '}
            {m.text}
          </li>
        ))}
      </ul>
      <form
        className="link"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input
          data-testid="chat-input"
          maxLength={1000}
          value={text}
          placeholder={t.chatPlaceholder}
          aria-label={t.chatPlaceholder}
          onChange={(e) => setText(e.target.value)}
        />
        <button data-testid="chat-send" type="submit" disabled={!text.trim()}>
          {t.send}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
