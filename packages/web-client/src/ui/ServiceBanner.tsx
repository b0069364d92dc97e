// A calm word while the service cannot keep records (its Redis is out of reach): calls go on,
// places are kept, and it goes away by itself when the service is back.
import type { Strings } from '../lib/i18n.ts';
import { useServiceAvailable, type SignalingSocket } from '../lib/signaling.ts';

export function ServiceBanner({ t, socket }: { t: Strings; socket: SignalingSocket | null }) {
  const available = useServiceAvailable(socket);
  if (available) return null;
  return (
    <p className="banner service" role="status" data-testid="service-unavailable">
      {t.serviceUnavailable}
    </p>
  );
}
