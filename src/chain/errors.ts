import { BsnError } from '../errors.js';

/** A record handed to the write-ahead log is larger than the log accepts. */
export class WalRecordTooLargeError extends BsnError {
  readonly code = 'CHAIN_WAL_RECORD_TOO_LARGE';
}

/** The write-ahead log was used after close, or opened twice. */
export class WalStateError extends BsnError {
  readonly code = 'CHAIN_WAL_STATE';
}

/** A block that decodes but breaks a rule of the chain (version, height, links, roots). */
export class BlockFormatError extends BsnError {
  readonly code = 'CHAIN_BLOCK_INVALID';
}

/** The block store was asked for something out of order or inconsistent with what it holds. */
export class BlockStoreError extends BsnError {
  readonly code = 'CHAIN_BLOCK_STORE';
}
