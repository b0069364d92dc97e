import type { types } from 'mediasoup';

export interface RtcListenConfig {
  readonly listenIp: string;
  readonly announcedAddress: string | undefined;
  readonly minPort: number;
  readonly maxPort: number;
}

/** UDP preferred, ICE-TCP as a fallback for networks that block UDP; one port range for both. */
export function webRtcTransportOptions(rtc: RtcListenConfig): types.WebRtcTransportOptions {
  const base = {
    ip: rtc.listenIp,
    ...(rtc.announcedAddress ? { announcedAddress: rtc.announcedAddress } : {}),
    portRange: { min: rtc.minPort, max: rtc.maxPort },
  };
  return {
    listenInfos: [
      { protocol: 'udp', ...base },
      { protocol: 'tcp', ...base },
    ],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
    initialAvailableOutgoingBitrate: 1_000_000,
  };
}
