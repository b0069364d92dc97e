// The chat beside the call: always shown on a wide screen; on a phone, a sheet over the call opened
// from the controls, with the messages that came while it was closed counted on its button.
import { useEffect, useState } from 'react';
import type { ChatMessage, Role } from '@visita/protocol';
import type { SignalingSocket } from '../../lib/signaling.ts';

export function useCallChat(
  socket: SignalingSocket,
  consultationId: string,
  me: Role | undefined,
  /** Open from the start (a participant who joined by sound or the chat only). */
  initiallyOpen = false,
): { open: boolean; unread: number; toggle: () => void } {
  const [open, setOpen] = useState(initiallyOpen);
  const [unread, setUnread] = useState(0);
  useEffect(() => {
    if (!me || open) return;
    const onMessage = (m: ChatMessage) => {
      if (m.consultationId === consultationId && m.from !== me) setUnread((n) => n + 1);
    };
    socket.on('chat:message', onMessage);
    return () => void socket.off('chat:message', onMessage);
  }, [socket, consultationId, me, open]);
  return {
    open,
    unread,
    toggle: () => {
      setOpen((o) => !o);
      setUnread(0);
    },
  };
}
