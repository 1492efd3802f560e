import { BsnError } from '../errors.js';

/** A record handed to the write-ahead log is larger than the log accepts. */
export class WalRecordTooLargeError extends BsnError {
  readonly code = 'CHAIN_WAL_RECORD_TOO_LARGE';
}

/** The write-ahead log was used after close, or opened twice. */
export class WalStateError extends BsnError {
  readonly code = 'CHAIN_WAL_STATE';
}
