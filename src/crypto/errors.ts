import { BsnError } from '../errors.js';

/** A key, signature or ciphertext of one suite was handed to another. */
export class SuiteMismatchError extends BsnError {
  readonly code = 'CRYPTO_SUITE_MISMATCH';
}

/** A suite name that this build does not know. */
export class UnknownSuiteError extends BsnError {
  readonly code = 'CRYPTO_UNKNOWN_SUITE';
}

/** Key material (PEM, DER, raw bytes) that does not decode to a valid key of the suite. */
export class InvalidKeyError extends BsnError {
  readonly code = 'CRYPTO_INVALID_KEY';
}

/** A signature that is malformed where a well-formed one is required (e.g. for recovery). */
export class InvalidSignatureError extends BsnError {
  readonly code = 'CRYPTO_INVALID_SIGNATURE';
}

/** Authenticated decryption failed: wrong key, tampered ciphertext or associated data. */
export class DecryptionError extends BsnError {
  readonly code = 'CRYPTO_DECRYPTION_FAILED';
}
