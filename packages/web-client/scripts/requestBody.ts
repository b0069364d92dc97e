import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { kind: 'body'; body: Buffer }
  | { kind: 'tooLarge' }
  | { kind: 'timeout' }
  /** The client went away (or its connection failed) before the body was complete. */
  | { kind: 'aborted' };

/**
 * Receives a request's whole body in memory, at most `maxBytes` (declared or counted, chunked or
 * not), within `timeoutMs` of the call. Nothing upstream is taken while a body arrives: a client
 * that never finishes its body holds one connection of its own and nothing else, until the timeout.
 * After `tooLarge` or `timeout` the rest of the body is read and dropped, so the answer is not
 * lost to a reset.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      if (result.kind === 'tooLarge' || result.kind === 'timeout') req.resume();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish({ kind: 'tooLarge' });
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: 'body', body: Buffer.concat(chunks, size) });
    const onGone = () => finish({ kind: 'aborted' });
    const onClose = () => {
      if (!req.complete) onGone();
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}
