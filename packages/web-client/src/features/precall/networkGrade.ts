// The pre-call network test's verdict (pure): what the browser measured of its path to the media
// server, graded as the call's own indicator grades loss and round trip, plus the upload a video
// call needs.
import type { NetworkGrade } from '@visita/protocol';
import { qualityOf } from '../call/quality.ts';

/** What the test measured; `connected` false: ICE and DTLS never completed (nothing else is known). */
export interface NetworkMeasure {
  connected: boolean;
  rttMs: number | null;
  /** Lost / sent, from the media server's receiver reports; null before any report. */
  lossRatio: number | null;
  /** The browser's bandwidth estimate towards the server (kbit/s). */
  uploadKbps: number | null;
}

/** Below this upload (kbit/s) the camera cannot be sent watchably: poor. */
export const POOR_UPLOAD_KBPS = 150;
/** Below this, the picture is sent at a low resolution: fair. */
export const FAIR_UPLOAD_KBPS = 400;

const ORDER: NetworkGrade[] = ['good', 'fair', 'poor', 'failed'];
const worse = (a: NetworkGrade, b: NetworkGrade): NetworkGrade => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);

export function gradeNetwork(m: NetworkMeasure): NetworkGrade {
  if (!m.connected) return 'failed';
  const path = qualityOf(m.lossRatio ?? 0, m.rttMs);
  if (m.uploadKbps === null) return path;
  const upload: NetworkGrade =
    m.uploadKbps < POOR_UPLOAD_KBPS ? 'poor' : m.uploadKbps < FAIR_UPLOAD_KBPS ? 'fair' : 'good';
  return worse(path, upload);
}

/** The median of the values seen (null when none). */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One look at the test's send side: the browser's bandwidth estimate if it gives one, bytes sent so far, when. */
export interface UplinkSample {
  availableKbps: number | null;
  bytesSent: number;
  atMs: number;
}

/**
 * The upload to grade: the browser's bandwidth estimate (Chromium, Safari), its highest value as it
 * ramps up; a browser that gives none (Firefox has no `availableOutgoingBitrate`) is measured by
 * what it managed to send: the highest rate of bytes sent between two looks. Null when neither is
 * known (then the grade rests on loss and round trip, and the page says the upload was not measured).
 */
export function uploadEstimateKbps(samples: readonly UplinkSample[]): number | null {
  const estimates = samples.flatMap((s) => (s.availableKbps === null ? [] : [s.availableKbps]));
  if (estimates.length > 0) return Math.max(...estimates);
  let best: number | null = null;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const ms = b.atMs - a.atMs;
    if (ms <= 0 || b.bytesSent < a.bytesSent) continue;
    best = Math.max(best ?? 0, ((b.bytesSent - a.bytesSent) * 8) / ms); // bits per ms = kbit/s
  }
  return best;
}
