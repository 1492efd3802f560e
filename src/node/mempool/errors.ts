import type { TxRejectCode } from '../../execution/index.js';
import { BsnError } from '../../errors.js';

/** Why the mempool refused or dropped a tx. The gateway returns `code` to the client. */
export abstract class MempoolRejection extends BsnError {}

/** A tx with the same hash is already in the mempool or being admitted. */
export class MempoolDuplicateError extends MempoolRejection {
  readonly code = 'MEMPOOL_DUPLICATE';
}

/** The nonce is below the sender's next nonce in committed state: a replay or a stale tx. */
export class MempoolNonceTooLowError extends MempoolRejection {
  readonly code = 'MEMPOOL_NONCE_TOO_LOW';
}

/** The nonce is further ahead of the sender's next nonce than the per-sender window holds. */
export class MempoolNonceTooFarError extends MempoolRejection {
  readonly code = 'MEMPOOL_NONCE_TOO_FAR';
}

/** Another tx of the same sender already holds this nonce (there is no replacement). */
export class MempoolNonceTakenError extends MempoolRejection {
  readonly code = 'MEMPOOL_NONCE_TAKEN';
}

/** The mempool is full and the eviction rule does not make room for this sender. */
export class MempoolFullError extends MempoolRejection {
  readonly code = 'MEMPOOL_FULL';
}

/** The tx is longer than one tx may be, or over a size limit of the application. */
export class MempoolTooLargeError extends MempoolRejection {
  readonly code = 'MEMPOOL_TOO_LARGE';
}

export class MempoolBadSignatureError extends MempoolRejection {
  readonly code = 'MEMPOOL_BAD_SIGNATURE';
}

/** Not a well-formed tx of the chain's application. */
export class MempoolMalformedError extends MempoolRejection {
  readonly code = 'MEMPOOL_MALFORMED';
}

/** Signed for another chain. */
export class MempoolWrongChainError extends MempoolRejection {
  readonly code = 'MEMPOOL_WRONG_CHAIN';
}

/** Refused by the application for a reason of its own (TX_INVALID, TX_BAD_NONCE). */
export class MempoolRejectedError extends MempoolRejection {
  readonly code = 'MEMPOOL_REJECTED';
}

/** Dropped after admission to make room for another sender's tx. */
export class MempoolEvictedError extends MempoolRejection {
  readonly code = 'MEMPOOL_EVICTED';
}

/**
 * Too many txs wait for verification or admission right now (M13): try again shortly. The
 * gateway and the operations endpoint answer 503, like MEMPOOL_FULL.
 */
export class MempoolBusyError extends MempoolRejection {
  readonly code = 'MEMPOOL_BUSY';
}

/** The mempool or its verification pool was closed. */
export class MempoolClosedError extends MempoolRejection {
  readonly code = 'MEMPOOL_CLOSED';
}

/** A verification worker failed to start or died; the tx was not checked. */
export class VerifyPoolError extends BsnError {
  readonly code = 'MEMPOOL_VERIFY_POOL';
}

/** The mempool error for an application's reason. */
export function rejectionFor(code: TxRejectCode, reason: string): MempoolRejection {
  switch (code) {
    case 'TX_MALFORMED':
      return new MempoolMalformedError(reason);
    case 'TX_TOO_LARGE':
      return new MempoolTooLargeError(reason);
    case 'TX_WRONG_CHAIN':
      return new MempoolWrongChainError(reason);
    case 'TX_BAD_SIGNATURE':
      return new MempoolBadSignatureError(reason);
    case 'TX_NONCE_TOO_LOW':
      return new MempoolNonceTooLowError(reason);
    default:
      return new MempoolRejectedError(`${code}: ${reason}`);
  }
}
