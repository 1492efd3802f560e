import { BsnError } from '../errors.js';

/** A peer sent a frame whose declared length is over the limit: the connection is dropped. */
export class FrameTooLargeError extends BsnError {
  readonly code = 'P2P_FRAME_TOO_LARGE';
}

/** A frame was handed to the encoder that cannot be sent (too large, empty channel). */
export class FrameEncodeError extends BsnError {
  readonly code = 'P2P_FRAME_ENCODE';
}

/** The peer's certificate chain validated, but the certificate is not a city-node certificate. */
export class PeerIdentityError extends BsnError {
  readonly code = 'P2P_PEER_IDENTITY';
}

/** The transport's own TLS material (certificate, key, CAs, CRLs) cannot be used. */
export class TransportConfigError extends BsnError {
  readonly code = 'P2P_TRANSPORT_CONFIG';
}

/** TLS refused the peer's certificate (revoked, expired, unknown issuer, …); the message has OpenSSL's verdict. */
export class PeerCertificateRejectedError extends BsnError {
  readonly code = 'P2P_PEER_CERTIFICATE_REJECTED';
}

/** A message body that is not the encoding the channel expects; the sender is scored down. */
export class MessageDecodeError extends BsnError {
  readonly code = 'P2P_MESSAGE_DECODE';
}

/** A peer broke the protocol's order or rules (a message before hello, a second hello, a bad request). */
export class ProtocolViolationError extends BsnError {
  readonly code = 'P2P_PROTOCOL_VIOLATION';
}

/** The peer's hello names another network (root CA fingerprint) or protocol version: it is dropped. */
export class NetworkMismatchError extends BsnError {
  readonly code = 'P2P_NETWORK_MISMATCH';
}

/** The peer did not send its hello in time. */
export class HelloTimeoutError extends BsnError {
  readonly code = 'P2P_HELLO_TIMEOUT';
}

/** The peer is banned (its score fell below the threshold); its connections are refused until the ban ends. */
export class PeerBannedError extends BsnError {
  readonly code = 'P2P_PEER_BANNED';
}

/** A connection that turned out to lead to this node itself. */
export class SelfConnectionError extends BsnError {
  readonly code = 'P2P_SELF_CONNECTION';
}

/** A second connection to a peer that already has one; the tie-break closed this one. */
export class DuplicateConnectionError extends BsnError {
  readonly code = 'P2P_DUPLICATE_CONNECTION';
}

/** The node at a configured address is not the node the configuration names. */
export class UnexpectedPeerError extends BsnError {
  readonly code = 'P2P_UNEXPECTED_PEER';
}

/** A connection closed because this node is shutting down. */
export class ShutdownError extends BsnError {
  readonly code = 'P2P_SHUTDOWN';
}

/** The chain layer reported a message or block from the peer as invalid. */
export class InvalidPeerDataError extends BsnError {
  readonly code = 'P2P_INVALID_DATA';
}

/** A misuse of the router's API by this node's own code (a chain registered twice, a reserved channel). */
export class RouterUsageError extends BsnError {
  readonly code = 'P2P_ROUTER_USAGE';
}

/** A block request this node will not serve (empty, over the batch limit, from height 0), sent back as a typed reply. */
export class SyncRangeError extends BsnError {
  readonly code = 'P2P_SYNC_RANGE';
}

/** A block-sync request got no answer in time; it is retried with another peer. */
export class SyncTimeoutError extends BsnError {
  readonly code = 'P2P_SYNC_TIMEOUT';
}

/** A peer's certificate, or the operator CA above it, is on a CRL loaded after it connected: it is dropped. */
export class PeerRevokedError extends BsnError {
  readonly code = 'P2P_PEER_REVOKED';
}

/** More bytes were queued for a peer than it reads: the connection is closed and the peer scored down. */
export class OutgoingBufferOverflowError extends BsnError {
  readonly code = 'P2P_OUTGOING_OVERFLOW';
}

/** An inbound connection over a cap (total, per IP, per identity): closed before or right after the handshake. */
export class ConnectionLimitError extends BsnError {
  readonly code = 'P2P_CONNECTION_LIMIT';
}

/** A peer asked for blocks faster than this node serves them; the request gets this as its typed reply. */
export class SyncRateLimitedError extends BsnError {
  readonly code = 'P2P_SYNC_RATE_LIMITED';
}
