// The call's controls at the thumb: labelled icon buttons of at least 64 px.
import type { Strings } from '../../lib/i18n.ts';
import { Icon } from '../../ui/Icon.tsx';

export function ControlButton({
  testId,
  icon,
  label,
  pressed,
  danger,
  phoneOnly,
  onClick,
}: {
  testId: string;
  icon: Parameters<typeof Icon>[0]['name'];
  label: string;
  pressed?: boolean;
  danger?: boolean;
  /** Only on a narrow screen (a wide one shows what it opens all the time). */
  phoneOnly?: boolean;
  onClick: () => void;
}) {
  return (
    <button
      className={['control', danger && 'danger', phoneOnly && 'phone-only'].filter(Boolean).join(' ')}
      data-testid={testId}
      aria-pressed={pressed}
      onClick={onClick}
    >
      <Icon name={icon} />
      <span>{label}</span>
    </button>
  );
}

/** Mute, camera, switch camera (from two cameras), the chat (on a phone), hang up: those that apply. */
export function CallControls({
  t,
  microphone,
  camera,
  cameras,
  muted,
  cameraOff,
  chat,
  onToggle,
  onSwitchCamera,
  onHangUp,
}: {
  t: Strings;
  microphone: boolean;
  camera: boolean;
  cameras: number;
  muted: boolean;
  cameraOff: boolean;
  chat: { open: boolean; unread: number; toggle: () => void } | null;
  onToggle: (kind: 'audio' | 'video', paused: boolean) => void;
  onSwitchCamera: () => void;
  onHangUp: () => void;
}) {
  return (
    <div className="controls" role="toolbar" aria-label={t.callControls}>
      {microphone && (
        <ControlButton
          testId="toggle-mic"
          icon={muted ? 'micOff' : 'mic'}
          label={muted ? t.unmute : t.mute}
          pressed={muted}
          onClick={() => onToggle('audio', !muted)}
        />
      )}
      {camera && (
        <ControlButton
          testId="toggle-camera"
          icon={cameraOff ? 'camOff' : 'cam'}
          label={cameraOff ? t.cameraOn : t.cameraOff}
          pressed={cameraOff}
          onClick={() => onToggle('video', !cameraOff)}
        />
      )}
      {camera && cameras > 1 && (
        <ControlButton testId="switch-camera" icon="switch" label={t.switchCamera} onClick={onSwitchCamera} />
      )}
      {chat && (
        <ControlButton
          testId="toggle-chat"
          icon="chat"
          label={chat.unread > 0 ? t.chatUnread(chat.unread) : t.chat}
          pressed={chat.open}
          phoneOnly
          onClick={chat.toggle}
        />
      )}
      <ControlButton testId="hang-up" icon="hangUp" label={t.hangUp} danger onClick={onHangUp} />
    </div>
  );
}
