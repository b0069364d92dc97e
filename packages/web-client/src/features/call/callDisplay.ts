// What the call screen shows, decided from plain values (unit-tested): whether a failed play() was
// the browser refusing sound.

/**
 * Whether a failed `play()` means the browser refused to play with sound without a gesture. Only
 * NotAllowedError says so: an AbortError is a stream replaced while play() waited (the next
 * play() starts it), and is no reason to mute the other side.
 */
export const autoplayRefused = (e: unknown): boolean => (e as { name?: unknown } | null)?.name === 'NotAllowedError';
