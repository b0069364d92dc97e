/**
 * Version of the wire contract. A client or SFU node speaking another version is refused at the
 * handshake with ErrorCode.PROTOCOL_MISMATCH. Bump it on any incompatible change to this package.
 */
export const PROTOCOL_VERSION = 1;
