import { GatewayHttpError } from '../http-error.js';

/**
 * Failures of REST request authentication. Each carries the HTTP status the gateway answers with,
 * so the fastify hook maps errors to responses without a table that could drift from the classes.
 */
export abstract class AuthError extends GatewayHttpError {}

/** A required X-BSN-* header is absent. */
export class AuthMissingError extends AuthError {
  readonly code = 'AUTH_MISSING';
  readonly httpStatus = 401;
}

/** A header is present but not in its documented form (bad base64, hex, decimal, length, or an undecodable certificate). */
export class AuthMalformedError extends AuthError {
  readonly code = 'AUTH_MALFORMED';
  readonly httpStatus = 401;
}

/** X-BSN-Cert-Id names a certificate this gateway has not seen; the client should send X-BSN-Cert. */
export class AuthUnknownCertError extends AuthError {
  readonly code = 'AUTH_UNKNOWN_CERT';
  readonly httpStatus = 401;
}

/** The signature does not verify over the canonical request with the certificate's key. */
export class AuthBadSignatureError extends AuthError {
  readonly code = 'AUTH_BAD_SIGNATURE';
  readonly httpStatus = 401;
}

/** The certificate does not validate to the network root (revoked, expired, foreign root...); `pkiCode` names the failed check. */
export class AuthCertInvalidError extends AuthError {
  readonly code = 'AUTH_CERT_INVALID';
  readonly httpStatus = 401;

  constructor(
    message: string,
    readonly pkiCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** X-BSN-Timestamp is outside the accepted window around the gateway's clock (either direction). */
export class AuthStaleError extends AuthError {
  readonly code = 'AUTH_STALE';
  readonly httpStatus = 401;
}

/** The nonce was already used by this certificate inside the window. */
export class AuthReplayError extends AuthError {
  readonly code = 'AUTH_REPLAY';
  readonly httpStatus = 409;
}

/** Authenticated, but the certificate is not for this app or its role is not allowed here. */
export class AuthForbiddenError extends AuthError {
  readonly code = 'AUTH_FORBIDDEN';
  readonly httpStatus = 403;
}

/** A user certificate that names no app: only `org` certificates may call every app (M1). */
export class AuthNoAppError extends AuthError {
  readonly code = 'AUTH_NO_APP';
  readonly httpStatus = 403;
}

/** This certificate holds its whole share of the nonce store: it sends faster than the window allows (M4). */
export class AuthNonceQuotaError extends AuthError {
  readonly code = 'AUTH_NONCE_QUOTA';
  readonly httpStatus = 429;
}

/**
 * The nonce store is full of nonces still inside the window. Refusing is the safe choice:
 * forgetting a live nonce would let its request be replayed.
 */
export class AuthBusyError extends AuthError {
  readonly code = 'AUTH_BUSY';
  readonly httpStatus = 503;
}
