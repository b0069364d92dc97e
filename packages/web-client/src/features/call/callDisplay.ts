// What the call screen shows, decided from plain values (unit-tested): whether a failed play() was
// the browser refusing sound, how the other side's picture fits the stage, the initials of a name.

/**
 * Whether a failed `play()` means the browser refused to play with sound without a gesture. Only
 * NotAllowedError says so: an AbortError is a stream replaced while play() waited (the next
 * play() starts it), and is no reason to mute the other side.
 */
export const autoplayRefused = (e: unknown): boolean => (e as { name?: unknown } | null)?.name === 'NotAllowedError';

export type VideoFit = 'cover' | 'contain';

/**
 * A picture shown whole (`contain`, on a dark fill) when it is not the stage's way round — a
 * landscape camera on a portrait phone would lose close to half its width to `cover` —, filling the
 * stage (`cover`) when it is (a phone's portrait camera on a phone). Unknown sizes: `cover`.
 */
export function videoFit(videoWidth: number, videoHeight: number, stageWidth: number, stageHeight: number): VideoFit {
  if (!(videoWidth > 0 && videoHeight > 0 && stageWidth > 0 && stageHeight > 0)) return 'cover';
  const landscapeVideo = videoWidth > videoHeight;
  const landscapeStage = stageWidth > stageHeight;
  return landscapeVideo === landscapeStage ? 'cover' : 'contain';
}

/** Titles that are not part of the initials ("Dr Anna Martin" → "AM"). */
const TITLES = new Set(['dr', 'doctor', 'docteur', 'pr', 'prof', 'professeur', 'mme', 'mlle', 'm', 'mr', 'mrs', 'ms']);

/** The initials of a name for an avatar: the first and last words' first letters, titles left out. */
export function initials(name: string | null | undefined): string {
  const words = (name ?? '').split(/\s+/).filter((w) => w && !TITLES.has(w.toLowerCase().replace(/\.$/, '')));
  const first = words[0];
  if (!first) return '•';
  const last = words.length > 1 ? words[words.length - 1]! : '';
  return (Array.from(first)[0]! + (last ? Array.from(last)[0]! : '')).toUpperCase();
}

/** What a participant shares: camera and microphone, sound only, or the chat only. */
export type SharedMedia = 'full' | 'audio' | 'none';

export const sharedMedia = (d: { camera: boolean; microphone: boolean }): SharedMedia =>
  d.camera ? 'full' : d.microphone ? 'audio' : 'none';

/** What a local stream shares. */
export const streamMedia = (s: MediaStream): SharedMedia =>
  sharedMedia({ camera: s.getVideoTracks().length > 0, microphone: s.getAudioTracks().length > 0 });
