// The pre-call network test: a send transport to a media node, on the path the call will take
// (the same TURN servers and ICE policy), a synthetic picture sent for a few seconds, and what the
// browser measures of it: round trip, loss the server reports, upload estimate. The patient's own
// camera is not sent anywhere before they join the waiting room.
import { Device, type types } from 'mediasoup-client';
import type { NetworkGrade } from '@visita/protocol';
import { ErrorCode } from '@visita/protocol/browser';
import { connectSignaling, request, RequestError, whenConnected } from '../../lib/signaling.ts';
import { pathOf, uplinkOf } from '../call/mediaStats.ts';
import { gradeNetwork, median, uploadEstimateKbps, type UplinkSample } from './networkGrade.ts';

export type NetworkTestResult =
  | {
      grade: NetworkGrade;
      rttMs: number | null;
      lossRatio: number | null;
      uploadKbps: number | null;
      /** How the browser reached the node (`host`/`relay`, `udp`/`tcp`), null when it did not. */
      path: { type: string; protocol: string } | null;
    }
  /** No test could be run (no media server free, too many tests, the service unreachable). */
  | { grade: 'unavailable'; code: string };

export interface NetworkTestOptions {
  /** How long ICE and DTLS may take before the path counts as blocked. */
  connectMs: number;
  /** How long the picture is sent once connected. */
  sampleMs: number;
}
const DEFAULTS: NetworkTestOptions = { connectMs: 10_000, sampleMs: 4_000 };

class Aborted extends Error {}

export async function testNetwork(
  token: string,
  consultationId: string,
  signal: AbortSignal,
  options: Partial<NetworkTestOptions> = {},
): Promise<NetworkTestResult> {
  if (signal.aborted) throw new Aborted();
  const o = { ...DEFAULTS, ...options };
  const cleanup: Array<() => void> = [];
  const abandoned = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(new Aborted());
    else signal.addEventListener('abort', () => reject(new Aborted()), { once: true });
  });
  abandoned.catch(() => undefined);
  /**
   * Waits for `p`, or rejects as soon as the test is abandoned. `p` may still fail afterwards (its
   * transport closed under it: "queue stopped"): nobody waits for it any more, nothing to report.
   */
  const step = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return Promise.race([p, abandoned]);
  };
  const socket = connectSignaling(token);
  cleanup.push(() => socket.disconnect());
  try {
    await step(whenConnected(socket));
    const opened = await step(request(socket, 'probe:open', { consultationId }));
    const { probeId } = opened;
    cleanup.unshift(() => void request(socket, 'probe:close', { probeId }).catch(() => undefined));
    const device = new Device();
    await step(device.load({ routerRtpCapabilities: opened.rtpCapabilities as types.RtpCapabilities }));
    // The options carry the TURN servers and the ICE policy of a call, when configured.
    const transport = device.createSendTransport(opened.transport as unknown as types.TransportOptions);
    cleanup.unshift(() => transport.close());
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      request(socket, 'probe:connect', { probeId, dtlsParameters: dtlsParameters as never }).then(() => done(), fail);
    });
    transport.on('produce', ({ kind, rtpParameters }, done, fail) => {
      request(socket, 'probe:produce', { probeId, kind, rtpParameters: rtpParameters as never }).then(
        (r) => done({ id: r.producerId }),
        fail,
      );
    });
    const connected = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), o.connectMs);
      transport.on('connectionstatechange', (state) => {
        if (state === 'connected' || state === 'failed') {
          clearTimeout(timer);
          resolve(state === 'connected');
        }
      });
    });
    const source = testSource();
    cleanup.unshift(source.stop);
    await step(transport.produce({ track: source.track, encodings: [{ maxBitrate: 1_500_000 }] }));
    if (!(await step(connected)))
      return { grade: 'failed', rttMs: null, lossRatio: null, uploadKbps: null, path: null };
    // Sampled each half second: the round trip's median, the highest estimate (it ramps up).
    const rtts: number[] = [];
    const uplink: UplinkSample[] = [];
    let last = uplinkOf(undefined);
    let path: { type: string; protocol: string } | null = null;
    for (let waited = 0; waited < o.sampleMs; waited += 500) {
      await step(new Promise((r) => setTimeout(r, 500)));
      const report = await step(transport.getStats());
      last = uplinkOf(report);
      path = pathOf(report) ?? path;
      if (last.rttMs !== null) rtts.push(last.rttMs);
      uplink.push({ availableKbps: last.availableKbps, bytesSent: last.bytesSent, atMs: performance.now() });
    }
    const measure = {
      connected: true,
      rttMs: median(rtts),
      lossRatio: last.reported && last.packetsSent > 0 ? last.packetsLost / last.packetsSent : null,
      uploadKbps: uploadEstimateKbps(uplink),
    };
    return { grade: gradeNetwork(measure), ...measure, path };
  } catch (e) {
    if (e instanceof Aborted) throw e;
    return { grade: 'unavailable', code: e instanceof RequestError ? e.code : ErrorCode.INTERNAL };
  } finally {
    for (const f of cleanup) f();
  }
}

export const isAborted = (e: unknown): boolean => e instanceof Aborted;

/**
 * What is sent: moving coloured blocks on a canvas (the encoder has something to send at every
 * frame), else a tone where a canvas cannot be captured.
 */
function testSource(): { track: MediaStreamTrack; stop: () => void } {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const ctx = canvas.getContext('2d');
  if (ctx && typeof canvas.captureStream === 'function') {
    const track = canvas.captureStream(15).getVideoTracks()[0];
    if (track) {
      let frame = 0;
      const timer = setInterval(() => {
        for (let i = 0; i < 24; i++) {
          ctx.fillStyle = `hsl(${(frame * 37 + i * 61) % 360} 70% 50%)`;
          ctx.fillRect(Math.random() * 600, Math.random() * 330, 40, 30);
        }
        frame++;
      }, 66);
      return {
        track,
        stop: () => {
          clearInterval(timer);
          track.stop();
        },
      };
    }
  }
  const audio = new AudioContext();
  const osc = audio.createOscillator();
  const out = audio.createMediaStreamDestination();
  osc.connect(out);
  osc.start();
  const track = out.stream.getAudioTracks()[0]!;
  return {
    track,
    stop: () => {
      track.stop();
      void audio.close();
    },
  };
}
