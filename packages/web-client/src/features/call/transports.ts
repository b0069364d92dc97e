// A media session's transports to the node: made by the node (`media:createTransport`, with the
// call's TURN servers and ICE policy when configured), connected (DTLS) and, for sending, each
// producer registered with the node.
import type { Device, types } from 'mediasoup-client';
import { request, type SignalingSocket } from '../../lib/signaling.ts';

export interface TransportContext {
  device: Device;
  socket: SignalingSocket;
  consultationId: string;
  /** The session closed meanwhile: no producer is registered any more. */
  closed: () => boolean;
  /** The error a producer made after the session closed fails with. */
  closedError: () => Error;
}

/** A transport of `direction`; `turn`: it came with TURN servers (their credentials are renewed in the call). */
export async function openTransport(
  ctx: TransportContext,
  direction: 'send' | 'recv',
): Promise<{ transport: types.Transport; turn: boolean }> {
  const { device, socket, consultationId } = ctx;
  const options = await request(socket, 'media:createTransport', { consultationId, direction });
  const params = {
    ...(options as unknown as types.TransportOptions),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
  };
  const transport = direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    request(socket, 'media:connectTransport', {
      consultationId,
      transportId: transport.id,
      dtlsParameters: dtlsParameters as never,
    }).then(() => callback(), errback);
  });
  if (direction === 'send') {
    transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      if (ctx.closed()) return errback(ctx.closedError());
      request(socket, 'media:produce', {
        consultationId,
        transportId: transport.id,
        kind,
        rtpParameters: rtpParameters as never,
      }).then(({ producerId }) => callback({ id: producerId }), errback);
    });
  }
  return { transport, turn: Boolean(options.iceServers?.length) };
}
