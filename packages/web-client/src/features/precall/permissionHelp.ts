// Which steps to show when the camera or microphone could not be started: they depend on why
// (refused, missing, busy) and on where the patient is (the settings live in different places).

export type Platform = 'ios' | 'android' | 'desktop';

export function platformOf(userAgent: string, maxTouchPoints = 0): Platform {
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'ios';
  // iPadOS asks for the desktop site: a "Macintosh" with a touch screen.
  if (/Macintosh/.test(userAgent) && maxTouchPoints > 1) return 'ios';
  if (/Android/.test(userAgent)) return 'android';
  return 'desktop';
}

export type DeviceProblem = 'denied' | 'missing' | 'busy' | 'other';

/** getUserMedia's error name → what the patient is told. */
export function problemOf(errorName: string): DeviceProblem {
  switch (errorName) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'other';
  }
}
