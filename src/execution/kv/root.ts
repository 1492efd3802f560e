import { encode, type CodecValue } from '../../codec/index.js';
import type { Suite } from '../../crypto/index.js';

/*
 * The kv state root is a hash chain over write sets, not a tree over the state:
 *
 *   writeSet_h  = encode([2, [[key, value | null] sorted by key], [[address, nextNonce] sorted by address],
 *                         [[key, owner address] sorted by key]])   (owners: keys first written at h)
 *   stateRoot_0 = H(encode([1, "bsn/kv/genesis", chainId, H(writeSet_0)]))
 *   stateRoot_h = H(encode([1, "bsn/kv/state", h, stateRoot_{h-1}, H(writeSet_h)]))
 *
 * H is the chain suite's hash; null marks a deleted key. A block's cost is proportional to what
 * it writes, never to the size of the state, and two nodes whose states ever diverge (a key, a
 * nonce, a height) disagree on every root after that. What it cannot do: prove that a key has a
 * value (no membership proofs for light clients), or let a node check a state snapshot without
 * replaying history; two histories ending in the same state have different roots. A Merkle tree
 * over the state (sparse Merkle or IAVL-like) would add proofs at O(changed keys × log n) random
 * reads per block; see docs/execution.md.
 */

// 2: the write set names the owner of each key first written in it (review finding H2).
const STATE_VERSION = 2;

/** Final value per key (hex of the key → bytes, or null for deleted) and next nonce per sender. */
export interface WriteSet {
  readonly writes: ReadonlyMap<string, Uint8Array | null>;
  readonly nonces: ReadonlyMap<string, number>;
  /** Keys (hex) that got their owner (a sender address) in this block; a key's owner never changes. */
  readonly owners: ReadonlyMap<string, string>;
}

function sortedKeys<V>(map: ReadonlyMap<string, V>): string[] {
  // Lowercase hex of equal-length-per-byte digits sorts as the bytes do.
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function encodeWriteSet(ws: WriteSet): Uint8Array {
  const writes: CodecValue[] = sortedKeys(ws.writes).map((k) => [Buffer.from(k, 'hex'), ws.writes.get(k) ?? null]);
  const nonces: CodecValue[] = sortedKeys(ws.nonces).map((a) => [a, ws.nonces.get(a)!]);
  const owners: CodecValue[] = sortedKeys(ws.owners).map((k) => [Buffer.from(k, 'hex'), ws.owners.get(k)!]);
  return encode([STATE_VERSION, writes, nonces, owners]);
}

export function genesisStateRoot(suite: Suite, chainId: string, ws: WriteSet): Uint8Array {
  return plain(suite.hash(encode([STATE_VERSION, 'bsn/kv/genesis', chainId, suite.hash(encodeWriteSet(ws))])));
}

export function nextStateRoot(suite: Suite, previous: Uint8Array, height: number, ws: WriteSet): Uint8Array {
  return plain(suite.hash(encode([STATE_VERSION, 'bsn/kv/state', height, previous, suite.hash(encodeWriteSet(ws))])));
}

/** Roots leave as plain Uint8Array whatever the suite's hash returns (node suites return Buffers). */
function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes);
}
