import { decode, encode, expectArray, expectBytes, expectString, expectUint, type CodecValue, type DecodeLimits } from '../codec/index.js';
import type { Suite } from '../crypto/index.js';
import { merkleRoot } from './merkle.js';
import { BlockFormatError } from './errors.js';

/**
 * A block of an app chain. The engine orders opaque values; for a chain that value is the
 * canonical encoding of a Block. Execution is immediate: the proposer executes the block before
 * proposing it, so `stateRoot` and `resultsRoot` are the state and results *after* this block,
 * and every validator re-executes the proposal and prevotes nil on a mismatch.
 */
export interface BlockHeader {
  readonly chainId: string;
  readonly height: number;
  /** Milliseconds since the epoch, from the proposer's clock; never earlier than the parent's. */
  readonly time: number;
  /** Hash of the parent block's header; empty at height 1. */
  readonly parentHash: Uint8Array;
  readonly txRoot: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly resultsRoot: Uint8Array;
  /** Hash of the validator set that decides this height. */
  readonly validatorSetHash: Uint8Array;
  /** Address of the proposer (consensus address, lowercase hex). */
  readonly proposer: string;
}

export interface Block {
  readonly header: BlockHeader;
  readonly txs: readonly Uint8Array[];
}

export const BLOCK_FORMAT_VERSION = 1;
/** A limit on one block's encoding; the chain's own config may set a lower one. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

function headerValue(h: BlockHeader): CodecValue {
  return [BLOCK_FORMAT_VERSION, h.chainId, h.height, h.time, h.parentHash, h.txRoot, h.stateRoot, h.resultsRoot, h.validatorSetHash, h.proposer];
}

function headerFrom(value: CodecValue, path: string): BlockHeader {
  const f = expectArray(value, path, 10);
  const version = expectUint(f[0]!, `${path}[0]`);
  if (version !== BLOCK_FORMAT_VERSION) throw new BlockFormatError(`unsupported block format version ${version}`);
  return {
    chainId: expectString(f[1]!, `${path}.chainId`),
    height: expectUint(f[2]!, `${path}.height`),
    time: expectUint(f[3]!, `${path}.time`),
    parentHash: expectBytes(f[4]!, `${path}.parentHash`),
    txRoot: expectBytes(f[5]!, `${path}.txRoot`),
    stateRoot: expectBytes(f[6]!, `${path}.stateRoot`),
    resultsRoot: expectBytes(f[7]!, `${path}.resultsRoot`),
    validatorSetHash: expectBytes(f[8]!, `${path}.validatorSetHash`),
    proposer: expectString(f[9]!, `${path}.proposer`),
  };
}

export function encodeHeader(header: BlockHeader): Uint8Array {
  return encode(headerValue(header));
}

export function encodeBlock(block: Block): Uint8Array {
  return encode([headerValue(block.header), block.txs]);
}

/** Decodes a block from untrusted bytes; every failure is a typed codec or BlockFormatError. */
export function decodeBlock(bytes: Uint8Array, limits: DecodeLimits = { maxBytes: MAX_BLOCK_BYTES }): Block {
  const [header, txs] = expectArray(decode(bytes, limits), '$', 2);
  return {
    header: headerFrom(header!, '$.header'),
    txs: expectArray(txs!, '$.txs').map((tx, i) => expectBytes(tx, `$.txs[${i}]`)),
  };
}

export function headerHash(suite: Suite, header: BlockHeader): Uint8Array {
  return suite.hash(encodeHeader(header));
}

export function txRoot(suite: Suite, txs: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(suite, txs);
}

/**
 * Checks what a block says about itself and its parent, without executing it: chain, height,
 * parent link, time order and transaction root. Execution checks the state and results roots.
 */
export function checkBlockLinks(suite: Suite, block: Block, parent: BlockHeader | undefined, chainId: string): void {
  const h = block.header;
  if (h.chainId !== chainId) throw new BlockFormatError(`block is for chain '${h.chainId}', expected '${chainId}'`);
  const expectedHeight = parent ? parent.height + 1 : 1;
  if (h.height !== expectedHeight) throw new BlockFormatError(`block height ${h.height}, expected ${expectedHeight}`);
  const parentHash = parent ? headerHash(suite, parent) : new Uint8Array(0);
  if (!Buffer.from(h.parentHash).equals(parentHash)) throw new BlockFormatError(`block ${h.height} does not link to its parent`);
  if (parent && h.time < parent.time) throw new BlockFormatError(`block ${h.height} is older than its parent`);
  if (!Buffer.from(h.txRoot).equals(txRoot(suite, block.txs))) throw new BlockFormatError(`block ${h.height} has a wrong transaction root`);
}
