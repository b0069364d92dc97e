// Reading a transport's getStats() report (pure: a report in, figures out). MediaSession uses
// them for the network-quality indicator, `paths()` and `sentVideoCodec()`; the e2e tests and
// support read them through the diagnostics.

type Stat = Record<string, unknown> & { type: string; id: string };

const each = (report: RTCStatsReport | undefined, f: (s: Stat) => void) =>
  report?.forEach((s: Stat) => {
    f(s);
  });

/** Inbound RTP of the receive side: decoded video frames, received packets per kind. */
export function inboundCounts(report: RTCStatsReport | undefined): {
  video: { framesDecoded: number; packetsReceived: number };
  audio: { packetsReceived: number };
} {
  const out = { video: { framesDecoded: 0, packetsReceived: 0 }, audio: { packetsReceived: 0 } };
  each(report, (s) => {
    if (s.type !== 'inbound-rtp') return;
    const received = Number(s['packetsReceived'] ?? 0);
    if (s['kind'] === 'video') {
      out.video.framesDecoded += Number(s['framesDecoded'] ?? 0);
      out.video.packetsReceived += received;
    } else if (s['kind'] === 'audio') out.audio.packetsReceived += received;
  });
  return out;
}

/** Outbound RTP of the send side: packets sent per kind (when the microphone's packets really leave). */
export function outboundCounts(report: RTCStatsReport | undefined): {
  audio: { packetsSent: number };
  video: { packetsSent: number };
} {
  const out = { audio: { packetsSent: 0 }, video: { packetsSent: 0 } };
  each(report, (s) => {
    const kind = s['kind'];
    if (s.type === 'outbound-rtp' && (kind === 'audio' || kind === 'video'))
      out[kind].packetsSent += Number(s['packetsSent'] ?? 0);
  });
  return out;
}

/** The codec the camera is sent with (`video/VP8`, `video/H264`), null before it is sent. */
export function sentVideoCodecOf(report: RTCStatsReport | undefined): string | null {
  let codecId: string | undefined;
  each(report, (s) => {
    if (s.type === 'outbound-rtp' && s['kind'] === 'video' && typeof s['codecId'] === 'string') codecId = s['codecId'];
  });
  const codec = codecId ? (report?.get(codecId) as { mimeType?: string } | undefined) : undefined;
  return codec?.mimeType ?? null;
}

/** The ICE pair the transport uses: the one its `transport` entry names, else a nominated, succeeded one. */
const selectedPair = (report: RTCStatsReport | undefined): Stat | undefined => {
  let named: unknown;
  let pair: Stat | undefined;
  each(report, (s) => {
    if (s.type === 'transport' && typeof s['selectedCandidatePairId'] === 'string')
      named = s['selectedCandidatePairId'];
    if (s.type === 'candidate-pair' && s['nominated'] && s['state'] === 'succeeded') pair = s;
  });
  return (typeof named === 'string' ? (report?.get(named) as Stat | undefined) : undefined) ?? pair;
};

/**
 * How the transport reaches the node (the selected ICE pair's local candidate): `host` directly,
 * `relay` through TURN; over `udp` or `tcp`. Null before a pair is selected.
 */
export function pathOf(report: RTCStatsReport | undefined): { type: string; protocol: string } | null {
  const pair = selectedPair(report);
  const id = pair?.['localCandidateId'];
  type Candidate = { candidateType?: string; protocol?: string; relayProtocol?: string };
  const local = typeof id === 'string' ? (report?.get(id) as Candidate | undefined) : undefined;
  if (!local?.candidateType) return null;
  // A relayed candidate's `protocol` is the relay's side; how the browser reaches TURN is relayProtocol.
  return { type: local.candidateType, protocol: local.relayProtocol ?? local.protocol ?? 'unknown' };
}

/**
 * The send side's uplink as the browser sees it: the selected pair's round trip (ms) and the
 * bandwidth estimate (`availableOutgoingBitrate`, kbit/s), packets sent, and packets the media
 * server reported lost (its RTCP receiver reports: `remote-inbound-rtp`).
 */
export function uplinkOf(report: RTCStatsReport | undefined): {
  rttMs: number | null;
  availableKbps: number | null;
  packetsSent: number;
  packetsLost: number;
  reported: boolean;
  /** Bytes sent so far, RTP headers included (what the uplink carried). */
  bytesSent: number;
} {
  const pair = selectedPair(report);
  const rtt = pair?.['currentRoundTripTime'];
  const available = pair?.['availableOutgoingBitrate'];
  let packetsSent = 0;
  let packetsLost = 0;
  let bytesSent = 0;
  let reported = false;
  each(report, (s) => {
    if (s.type === 'outbound-rtp') {
      packetsSent += Number(s['packetsSent'] ?? 0);
      bytesSent += Number(s['bytesSent'] ?? 0) + Number(s['headerBytesSent'] ?? 0);
    }
    if (s.type === 'remote-inbound-rtp') {
      reported = true;
      packetsLost += Math.max(0, Number(s['packetsLost'] ?? 0));
    }
  });
  return {
    rttMs: typeof rtt === 'number' ? rtt * 1000 : null,
    availableKbps: typeof available === 'number' ? available / 1000 : null,
    packetsSent,
    packetsLost,
    reported,
    bytesSent,
  };
}

/** Packets received and lost so far, and the selected pair's round trip (ms), for the quality. */
export function receiveCounters(report: RTCStatsReport | undefined): {
  received: number;
  lost: number;
  rttMs: number | null;
} {
  let received = 0;
  let lost = 0;
  each(report, (s) => {
    if (s.type !== 'inbound-rtp') return;
    received += Number(s['packetsReceived'] ?? 0);
    lost += Number(s['packetsLost'] ?? 0);
  });
  const rtt = selectedPair(report)?.['currentRoundTripTime'];
  return { received, lost, rttMs: typeof rtt === 'number' ? rtt * 1000 : null };
}
