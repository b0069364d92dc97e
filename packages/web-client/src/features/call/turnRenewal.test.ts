import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { types } from 'mediasoup-client';
import { TURN_RENEW_MS } from '@visita/protocol/browser';
import type { SignalingSocket } from '../../lib/signaling.ts';
import { renewTurnCredentials } from './turnRenewal.ts';

const fresh = [{ urls: ['turn:192.0.2.1:3478?transport=udp'], username: '1700000900:pt-1', credential: 'c' }];

/** A socket whose every request is answered by `answer`, counting what was asked. */
function socketAnswering(answer: () => unknown) {
  const asked: Array<[string, unknown]> = [];
  const socket = {
    timeout: () => ({
      emitWithAck: async (name: string, payload: unknown) => {
        asked.push([name, payload]);
        return answer();
      },
    }),
  };
  return { socket: socket as unknown as SignalingSocket, asked };
}
const transport = (closed = false) =>
  ({ closed, updateIceServers: vi.fn(async () => undefined) }) as unknown as types.Transport & {
    updateIceServers: ReturnType<typeof vi.fn>;
  };

describe('renewTurnCredentials', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks for fresh credentials every period and gives them to the open transports; stops when told', async () => {
    const { socket, asked } = socketAnswering(() => ({ ok: true, data: { iceServers: fresh } }));
    const [send, recv, gone] = [transport(), transport(), transport(true)];
    const stop = renewTurnCredentials(socket, 'c1', () => [send, recv, gone, undefined]);
    await vi.advanceTimersByTimeAsync(TURN_RENEW_MS - 1);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([['media:iceServers', { consultationId: 'c1' }]]);
    expect(send.updateIceServers).toHaveBeenCalledWith({ iceServers: fresh });
    expect(recv.updateIceServers).toHaveBeenCalledWith({ iceServers: fresh });
    expect(gone.updateIceServers).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(TURN_RENEW_MS);
    expect(asked).toHaveLength(2);
    stop();
    await vi.advanceTimersByTimeAsync(3 * TURN_RENEW_MS);
    expect(asked).toHaveLength(2);
  });

  it('leaves the transports as they are when refused (the call is over) and tries again next period', async () => {
    const { socket, asked } = socketAnswering(() => ({ ok: false, code: 'INVALID_STATE', message: 'over' }));
    const send = transport();
    const stop = renewTurnCredentials(socket, 'c1', () => [send]);
    await vi.advanceTimersByTimeAsync(2 * TURN_RENEW_MS);
    expect(asked).toHaveLength(2);
    expect(send.updateIceServers).not.toHaveBeenCalled();
    stop();
  });
});
