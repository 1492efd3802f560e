import { encode } from '../codec/index.js';
import type { Suite } from '../crypto/index.js';
import { merkleRoot } from '../chain/merkle.js';
import type { TxResult } from './application.js';

export const TX_RESULT_VERSION = 1;

/** The canonical encoding of one tx's result, a leaf of the results root: [1, ok, code]. */
export function encodeTxResult(result: TxResult): Uint8Array {
  return encode([TX_RESULT_VERSION, result.ok, result.code]);
}

/** RFC 6962 Merkle root of the encoded results, in block order, with the chain's hash. */
export function resultsRoot(suite: Suite, results: readonly TxResult[]): Uint8Array {
  const root = merkleRoot(suite, results.map(encodeTxResult));
  // A plain Uint8Array whatever the suite returns (node suites return Buffers), so roots compare equal.
  return Object.getPrototypeOf(root) === Uint8Array.prototype ? root : new Uint8Array(root);
}
