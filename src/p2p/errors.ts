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
