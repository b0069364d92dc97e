// The call view with its mediasoup-client, loaded when needed (a patient's first screen never
// downloads it); `loadCallView` fetches it ahead (while the patient waits, while the practitioner
// has the consultation open), so the admission renders it at once (lib/preloadable.ts).
import { preloadable } from '../../lib/preloadable.ts';

const callView = preloadable(() => import('./CallView.tsx').then((m) => m.CallView));
export const loadCallView = callView.preload;
export const LazyCallView = callView.Component;
