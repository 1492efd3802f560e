import { BsnError } from '../../errors.js';
import type { TxRejectCode } from '../application.js';

/** An Ethereum tx that cannot be admitted; `rejectCode` is the engine-facing reason. */
export abstract class EvmTxError extends BsnError {
  abstract readonly rejectCode: TxRejectCode;
}

/** Not a decodable, canonical Ethereum tx of a supported type (legacy, 2930, 1559). */
export class EvmTxMalformedError extends EvmTxError {
  readonly code = 'EVM_TX_MALFORMED';
  readonly rejectCode = 'TX_MALFORMED';
}

/** Larger than the chain's tx size limit. */
export class EvmTxTooLargeError extends EvmTxError {
  readonly code = 'EVM_TX_TOO_LARGE';
  readonly rejectCode = 'TX_TOO_LARGE';
}

/** Signed for another chain id (or a legacy tx without EIP-155 replay protection). */
export class EvmTxWrongChainError extends EvmTxError {
  readonly code = 'EVM_TX_WRONG_CHAIN';
  readonly rejectCode = 'TX_WRONG_CHAIN';
}

/** The signature does not recover to a sender (bad v, r or s, high s). */
export class EvmTxBadSignatureError extends EvmTxError {
  readonly code = 'EVM_TX_BAD_SIGNATURE';
  readonly rejectCode = 'TX_BAD_SIGNATURE';
}

/** Rejections by state or limits; the message follows geth's wording, which Ethereum clients match on. */
export class EvmTxInvalidError extends EvmTxError {
  readonly code = 'EVM_TX_INVALID';
  readonly rejectCode = 'TX_INVALID';
}
