import { type Socket, createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

// Headless media bots for the SFU capacity benchmark: plain RTP over UDP on loopback, shaped like a
// consultation's media (Opus 50 packets/s; VP8 30 frames/s in 3 packets of 1,000 bytes, ~720 kbit/s,
// a key frame every 2 s), each stream on its own phase, sent from a 1 ms timer. Every packet carries a unique 32-bit mark 4 bytes into its payload, which
// the SFU forwards untouched: the receiver counts what arrived, and a capture on loopback pairs each
// packet going into the SFU with the same packet coming out (the forwarding delay).

export const AUDIO_PT = 100;
export const VIDEO_PT = 101;
const AUDIO_PAYLOAD = 80;
const VIDEO_PAYLOAD = 1_000;
const VIDEO_PACKETS_PER_FRAME = 3;
const KEY_FRAME_EVERY = 60;
/** Offset of the mark in the RTP payload (after the VP8 descriptor and header bytes). */
const MARK_OFFSET = 4;
const TICK_MS = 1;
/** A stream further behind than this (the bots' core is saturated) skips ahead instead of bursting. */
const MAX_LAG_MS = 50;

let nextMark = 1;

interface Stream {
  kind: 'audio' | 'video';
  ssrc: number;
  seq: number;
  frames: number;
  /** Next send time (ms, performance.now()). */
  due: number;
}

/** One side of a consultation sending its microphone and camera into one PlainTransport port. */
export class RtpSender {
  readonly audioSsrc: number;
  readonly videoSsrc: number;
  readonly #socket: Socket;
  readonly #port: number;
  readonly #streams: Stream[];
  sent = 0;
  /** Packets not sent because the bots fell behind (offered load lower than planned). */
  skipped = 0;

  constructor(port: number, ssrcBase: number) {
    this.#port = port;
    this.audioSsrc = ssrcBase;
    this.videoSsrc = ssrcBase + 1;
    this.#socket = createSocket('udp4');
    this.#socket.on('message', () => undefined); // RTCP from the SFU (receiver reports, PLI): ignored
    this.#streams = [
      { kind: 'audio', ssrc: this.audioSsrc, seq: 0, frames: 0, due: Number.POSITIVE_INFINITY },
      { kind: 'video', ssrc: this.videoSsrc, seq: 0, frames: 0, due: Number.POSITIVE_INFINITY },
    ];
  }

  /** Starts both streams at `now`, each on its own phase, with a key frame first. */
  start(now: number): void {
    const phase = Math.random() * 33;
    this.#streams[0]!.due = now + (phase % 20);
    this.#streams[1]!.due = now + phase;
  }

  async bind(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
  }

  /** Sends whatever is due by `now`. */
  tick(now: number): void {
    for (const s of this.#streams) {
      if (now - s.due > MAX_LAG_MS) {
        const periods = Math.floor((now - s.due) / (s.kind === 'audio' ? 20 : 1000 / 30));
        this.skipped += periods * (s.kind === 'audio' ? 1 : VIDEO_PACKETS_PER_FRAME);
        s.due += periods * (s.kind === 'audio' ? 20 : 1000 / 30);
        s.frames += periods;
      }
      while (s.due <= now) {
        if (s.kind === 'audio') {
          this.#send(s, AUDIO_PT, AUDIO_PAYLOAD, s.frames * 960, true, false, false);
          s.due += 20;
        } else {
          const key = s.frames % KEY_FRAME_EVERY === 0;
          for (let i = 0; i < VIDEO_PACKETS_PER_FRAME; i++)
            this.#send(s, VIDEO_PT, VIDEO_PAYLOAD, s.frames * 3_000, i === VIDEO_PACKETS_PER_FRAME - 1, i === 0, key);
          s.due += 1000 / 30;
        }
        s.frames++;
      }
    }
  }

  #send(s: Stream, pt: number, size: number, ts: number, marker: boolean, first: boolean, key: boolean): void {
    const p = Buffer.alloc(12 + size);
    p[0] = 0x80;
    p[1] = (marker ? 0x80 : 0) | pt;
    p.writeUInt16BE(s.seq & 0xffff, 2);
    p.writeUInt32BE(ts >>> 0, 4);
    p.writeUInt32BE(s.ssrc, 8);
    s.seq++;
    if (pt === VIDEO_PT) {
      // VP8 payload descriptor: S (start of partition) on a frame's first packet; then the VP8
      // header's inverse key-frame bit (0: key frame), which is what the SFU looks at.
      p[12] = first ? 0x10 : 0x00;
      p[13] = first && key ? 0x00 : 0x01;
    }
    p.writeUInt32BE(nextMark++ >>> 0, 12 + MARK_OFFSET);
    this.#socket.send(p, this.#port, '127.0.0.1');
    this.sent++;
  }

  close(): void {
    this.#socket.close();
  }
}

/** One side receiving the other side's media from a PlainTransport connected to its port. */
export class RtpReceiver {
  readonly #socket: Socket;
  received = 0;

  constructor() {
    this.#socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 21 });
    this.#socket.on('message', (m) => {
      if (m.length >= 2 && (m[1]! & 0x7f) >= 72 && (m[1]! & 0x7f) <= 76) return; // RTCP (SR, SDES)
      this.received++;
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    return this.#socket.address().port;
  }

  close(): void {
    this.#socket.close();
  }
}

/** Drives every sender from one timer (the bots' process is pinned to its own core). */
export function drive(senders: readonly RtpSender[]): () => void {
  for (const s of senders) s.start(performance.now());
  const timer = setInterval(() => {
    const now = performance.now();
    for (const s of senders) s.tick(now);
  }, TICK_MS);
  return () => clearInterval(timer);
}

/** The RTP payload's mark of a UDP payload, or null (RTCP, too short). */
function markOf(udp: Buffer): number | null {
  if (udp.length < 12 || (udp[0]! & 0xc0) !== 0x80) return null;
  const pt = udp[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return null;
  let offset = 12 + 4 * (udp[0]! & 0x0f);
  if (udp[0]! & 0x10) {
    if (udp.length < offset + 4) return null;
    offset += 4 + 4 * udp.readUInt16BE(offset + 2);
  }
  return udp.length >= offset + MARK_OFFSET + 4 ? udp.readUInt32BE(offset + MARK_OFFSET) : null;
}

/**
 * Forwarding delays (µs) from a pcap of loopback: for each mark, the first sighting going to a port
 * of `into` (the SFU's ingress) and the first going to a port of `outOf` (a receiver).
 */
export function forwardingDelaysUs(pcapFile: string, into: ReadonlySet<number>, outOf: ReadonlySet<number>): number[] {
  const buf = readFileSync(pcapFile);
  if (buf.length < 24) return [];
  const linkType = buf.readUInt32LE(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`pcap link type ${linkType} not handled`);
  const sentAt = new Map<number, number>();
  const delays: number[] = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const us = buf.readUInt32LE(o) * 1e6 + buf.readUInt32LE(o + 4);
    const caplen = buf.readUInt32LE(o + 8);
    const frame = buf.subarray(o + 16, o + 16 + caplen);
    o += 16 + caplen;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 28 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const dst = udp.readUInt16BE(2);
    const mark = markOf(udp.subarray(8));
    if (mark === null) continue;
    if (into.has(dst)) {
      if (!sentAt.has(mark)) sentAt.set(mark, us);
    } else if (outOf.has(dst)) {
      const t = sentAt.get(mark);
      if (t !== undefined) {
        delays.push(us - t);
        sentAt.delete(mark);
      }
    }
  }
  return delays;
}
