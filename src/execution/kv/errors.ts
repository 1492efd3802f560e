import { BsnError } from '../../errors.js';
import type { TxRejectCode } from '../application.js';

/** A kv tx that cannot be admitted or executed; `rejectCode` is the engine-facing reason. */
export abstract class KvTxError extends BsnError {
  abstract readonly rejectCode: TxRejectCode;
}

/** Not the canonical encoding of a kv tx (structure, version, suite, key, signature length). */
export class KvTxMalformedError extends KvTxError {
  readonly code = 'KV_TX_MALFORMED';
  readonly rejectCode = 'TX_MALFORMED';
}

/** Over a size limit: the whole tx, an op count, a key or a value. */
export class KvTxTooLargeError extends KvTxError {
  readonly code = 'KV_TX_TOO_LARGE';
  readonly rejectCode = 'TX_TOO_LARGE';
}

/** Signed for another chain. */
export class KvTxWrongChainError extends KvTxError {
  readonly code = 'KV_TX_WRONG_CHAIN';
  readonly rejectCode = 'TX_WRONG_CHAIN';
}

/** The signature does not verify under the tx's own public key. */
export class KvTxBadSignatureError extends KvTxError {
  readonly code = 'KV_TX_BAD_SIGNATURE';
  readonly rejectCode = 'TX_BAD_SIGNATURE';
}
