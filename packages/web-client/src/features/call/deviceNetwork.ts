// The device's own network, as a media session needs it: offline said at once (before ICE
// notices), and a change — back online, or another network (Wi-Fi to 4G), where the old path may
// look connected for seconds more — reported once for the burst of events it fires ('online',
// then the connection's 'change'), so ICE restarts at once on the new network.

/** Returns a function that stops watching. */
export function watchDeviceNetwork(on: { offline: () => void; online: () => void; changed: () => void }): () => void {
  let changed: ReturnType<typeof setTimeout> | undefined;
  const onOnline = () => {
    if (navigator.onLine) on.online();
    clearTimeout(changed);
    changed = setTimeout(() => {
      if (navigator.onLine) on.changed(); // a change to no network at all: nothing to restart on yet
    }, 50);
  };
  const onOffline = () => on.offline();
  const connection = (navigator as { connection?: EventTarget }).connection;
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  connection?.addEventListener('change', onOnline);
  return () => {
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
    connection?.removeEventListener('change', onOnline);
    clearTimeout(changed);
  };
}
