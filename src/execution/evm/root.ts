import { encode, type CodecValue } from '../../codec/index.js';
import { keccak256 } from '../../crypto/index.js';
import type { EvmWriteSet } from './overlay.js';
import { u256Bytes } from './u256.js';

/*
 * The EVM state root is a hash chain over per-block write sets, like kv's (root.ts there), not a
 * Merkle-Patricia trie over the state:
 *
 *   writeSet_h  = encode([1,
 *                   [[address, null | [nonce, balance, codeHash]] sorted by address],
 *                   [[address, cleared, [[slot, value | null] sorted by slot]] sorted by address],
 *                   [[codeHash, code] sorted by codeHash]])
 *   stateRoot_0 = keccak256(encode([1, "bsn/evm/genesis", chainId, keccak256(writeSet_0)]))
 *   stateRoot_h = keccak256(encode([1, "bsn/evm/state", h, stateRoot_{h-1}, keccak256(writeSet_h)]))
 *
 * Addresses are 20 bytes, slots and hashes 32, balances and storage values minimal big-endian
 * bytes (u256.ts); `cleared` says the account's storage was wiped before the slots were written.
 * A block costs one hash over what it changed, never a trie walk per access. Two nodes whose
 * states ever diverge disagree on every later root. It is not Ethereum's stateRoot: no
 * eth_getProof, no membership proofs, and a snapshot cannot be checked without the history.
 */

const STATE_VERSION = 1;

const bytesOfHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const byKey = <V>(map: ReadonlyMap<string, V>): [string, V][] => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function encodeEvmWriteSet(ws: EvmWriteSet): Uint8Array {
  const accounts: CodecValue[] = byKey(ws.accounts).map(([a, r]) => [bytesOfHex(a), r === null ? null : [r.nonce, u256Bytes(r.balance), r.codeHash]]);
  const storage: CodecValue[] = byKey(ws.storage).map(([a, ch]) => [bytesOfHex(a), ch.cleared, byKey(ch.slots).map(([slot, v]) => [bytesOfHex(slot), v])]);
  const code: CodecValue[] = byKey(ws.code).map(([hash, bytes]) => [bytesOfHex(hash), bytes]);
  return encode([STATE_VERSION, accounts, storage, code]);
}

export function evmGenesisStateRoot(chainId: number, ws: EvmWriteSet): Uint8Array {
  return keccak256(encode([STATE_VERSION, 'bsn/evm/genesis', chainId, keccak256(encodeEvmWriteSet(ws))]));
}

export function evmNextStateRoot(previous: Uint8Array, height: number, ws: EvmWriteSet): Uint8Array {
  return keccak256(encode([STATE_VERSION, 'bsn/evm/state', height, previous, keccak256(encodeEvmWriteSet(ws))]));
}
