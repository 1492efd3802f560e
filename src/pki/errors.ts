import { BsnError } from '../errors.js';

/**
 * Every failure of the PKI layer. Validation failures carry the certificate they are about, so
 * that a caller (the CLI, the TLS layer, the gateway) can say exactly which link of a chain broke.
 */
export abstract class PkiError extends BsnError {}

/** Text that is not the PEM block we asked for (missing armour, bad base64, wrong label). */
export class PemError extends PkiError {
  readonly code = 'PKI_PEM_INVALID';
}

/** Bytes that do not decode to the ASN.1 structure we asked for. */
export class DerError extends PkiError {
  readonly code = 'PKI_DER_INVALID';
}

/** A key, curve or signature algorithm that BSN certificates do not use. */
export class UnsupportedAlgorithmError extends PkiError {
  readonly code = 'PKI_UNSUPPORTED_ALGORITHM';
}

/** The passphrase does not open the encrypted private key. */
export class WrongPassphraseError extends PkiError {
  readonly code = 'PKI_WRONG_PASSPHRASE';
}

/** The private key in a CA or leaf directory does not belong to the certificate or CSR next to it. */
export class KeyMismatchError extends PkiError {
  readonly code = 'PKI_KEY_MISMATCH';
}

/** A CSR whose self-signature does not verify with the public key it carries. */
export class CsrSignatureError extends PkiError {
  readonly code = 'PKI_CSR_SIGNATURE_INVALID';
}

/** A key share file that is malformed, fails its checksum or does not match the ceremony's commitment. */
export class ShareInvalidError extends PkiError {
  readonly code = 'PKI_SHARE_INVALID';
}

/** A key share made by another root ceremony. */
export class ShareForeignError extends PkiError {
  readonly code = 'PKI_SHARE_FOREIGN';
}

/** Fewer distinct valid shares than the ceremony's threshold. */
export class SharesInsufficientError extends PkiError {
  readonly code = 'PKI_SHARES_INSUFFICIENT';
}

/** A CA directory that is missing, incomplete, already present (without --force) or of the wrong kind. */
export class CaDirectoryError extends PkiError {
  readonly code = 'PKI_CA_DIRECTORY';
}

/** Files of the revocation database that cannot be read or are inconsistent. */
export class CaDatabaseError extends PkiError {
  readonly code = 'PKI_CA_DATABASE';
}

/** A certificate handed to a CA that the CA did not issue. */
export class NotIssuedByCaError extends PkiError {
  readonly code = 'PKI_NOT_ISSUED_BY_CA';
}

/** A request the issuing code refuses by policy (bad name, bad SAN, bad validity). */
export class IssuancePolicyError extends PkiError {
  readonly code = 'PKI_POLICY';
}

/** Where in a chain a validation failure happened. */
export interface CertificateRef {
  /** The certificate's subject, one line, attributes in encoding order ("OU=node, CN=node1"). */
  readonly subject: string;
  /** 0 for the leaf (end of the path), increasing towards the root. */
  readonly depth: number;
}

/** A chain validation failure; `certificate` names the certificate the check failed on. */
export abstract class ValidationError extends PkiError {
  constructor(
    message: string,
    readonly certificate?: CertificateRef,
    options?: { cause?: unknown },
  ) {
    super(certificate ? `${message} (certificate '${certificate.subject}', depth ${certificate.depth})` : message, options);
  }
}

export class SignatureInvalidError extends ValidationError {
  readonly code = 'PKI_SIGNATURE_INVALID';
}
export class ExpiredError extends ValidationError {
  readonly code = 'PKI_EXPIRED';
}
export class NotYetValidError extends ValidationError {
  readonly code = 'PKI_NOT_YET_VALID';
}
export class RevokedError extends ValidationError {
  readonly code = 'PKI_REVOKED';
}
export class NotACaError extends ValidationError {
  readonly code = 'PKI_NOT_A_CA';
}
export class PathLengthError extends ValidationError {
  readonly code = 'PKI_PATH_LENGTH';
}
export class KeyUsageError extends ValidationError {
  readonly code = 'PKI_KEY_USAGE';
}
/** The leaf's extKeyUsage does not allow the purpose asked for (server or client). */
export class PurposeError extends ValidationError {
  readonly code = 'PKI_PURPOSE';
}
export class NameChainingError extends ValidationError {
  readonly code = 'PKI_NAME_CHAINING';
}
/** The chain does not end at (one of) the trusted root(s). */
export class UnknownRootError extends ValidationError {
  readonly code = 'PKI_UNKNOWN_ROOT';
}
/** A CRL with a bad signature, an issuer outside the chain, or expired at the validation time. */
export class CrlInvalidError extends ValidationError {
  readonly code = 'PKI_CRL_INVALID';
}
/** Revocation checking was required and no CRL of the certificate's issuer was given. */
export class CrlMissingError extends ValidationError {
  readonly code = 'PKI_CRL_MISSING';
}
/** A critical extension this validator does not understand (RFC 5280 §4.2 says: reject). */
export class UnknownCriticalExtensionError extends ValidationError {
  readonly code = 'PKI_UNKNOWN_CRITICAL_EXTENSION';
}
