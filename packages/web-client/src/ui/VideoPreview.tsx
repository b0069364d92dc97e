/** One's own camera, mirrored and muted, with a label for screen readers. */
export function VideoPreview({
  stream,
  label,
  className = 'preview',
}: {
  stream: MediaStream;
  label: string;
  className?: string;
}) {
  return (
    <video
      className={className}
      aria-label={label}
      autoPlay
      playsInline
      muted
      ref={(v) => {
        if (v && v.srcObject !== stream) v.srcObject = stream;
      }}
    />
  );
}
