// The call view with its mediasoup-client, loaded when needed (a patient's first screen never
// downloads it); `loadCallView` fetches it ahead (while the patient waits).
import { lazy } from 'react';

export const loadCallView = () => import('./CallView.tsx');
export const LazyCallView = lazy(() => loadCallView().then((m) => ({ default: m.CallView })));
