/**
 * What a peer's proposed block must satisfy before this node executes it or votes for it, beyond
 * what consensus authenticated (proposer, value hash, signature): the links to its parent, the
 * proposer and validator set it names, the same size limits as this node's own blocks (M7), and
 * a time between its parent's and a little past now (M7: a proposer cannot push chain time,
 * the EVM's TIMESTAMP, far into the future). The time bound uses this node's clock, so it can
 * only make honest nodes disagree on validity (a liveness cost within the drift), never on a
 * decided block: committed blocks are re-checked without it (`checkCommittedBlock`).
 */
import type { Suite } from '../crypto/index.js';
import { checkBlockLinks, headerHash, txRoot, type Block, type BlockHeader } from '../chain/index.js';
import type { ExecutionResult } from '../execution/index.js';
import type { ValidatorSet } from '../consensus/index.js';
import { ChainDivergenceError, InvalidProposalError } from './errors.js';
import { validatorSetHash } from './validator-hash.js';

export interface BlockLimits {
  readonly maxBlockBytes: number;
  readonly maxBlockTxs: number;
  /** How far past this node's clock a proposed block's time may be (default DEFAULT_MAX_BLOCK_DRIFT_MS). */
  readonly maxBlockDriftMs?: number;
}

export const DEFAULT_MAX_BLOCK_DRIFT_MS = 10_000;

/** Room for the header and the CBOR framing of each transaction, on top of the txs' own bytes. */
export function maxEncodedBlockBytes(limits: BlockLimits): number {
  return limits.maxBlockBytes + 1024 + 9 * limits.maxBlockTxs;
}

export interface ChainContext {
  readonly suite: Suite;
  readonly chainId: string;
  readonly parent: BlockHeader | undefined;
  readonly validators: ValidatorSet;
}

/** Throws (ChainDivergenceError, BlockFormatError) when a decided block does not fit its chain. */
export function checkCommittedBlock(block: Block, c: ChainContext): void {
  checkBlockLinks(c.suite, block, c.parent, c.chainId);
  if (!Buffer.from(block.header.validatorSetHash).equals(validatorSetHash(c.suite, c.validators))) {
    throw new ChainDivergenceError(`block ${block.header.height} names another validator set`);
  }
}

/** Throws InvalidProposalError (or the link errors) when a peer's proposed block may not be voted for. */
export function checkProposedBlock(block: Block, encodedBytes: number, proposer: string, c: ChainContext & { limits: BlockLimits; now: number }): void {
  const { limits } = c;
  if (block.txs.length > limits.maxBlockTxs) throw new InvalidProposalError(`block holds ${block.txs.length} txs; at most ${limits.maxBlockTxs}`);
  const txBytes = block.txs.reduce((sum, tx) => sum + tx.length, 0);
  if (txBytes > limits.maxBlockBytes) throw new InvalidProposalError(`block holds ${txBytes} bytes of txs; at most ${limits.maxBlockBytes}`);
  if (encodedBytes > maxEncodedBlockBytes(limits)) throw new InvalidProposalError(`block is ${encodedBytes} bytes; at most ${maxEncodedBlockBytes(limits)}`);
  const drift = limits.maxBlockDriftMs ?? DEFAULT_MAX_BLOCK_DRIFT_MS;
  if (block.header.time > c.now + drift) throw new InvalidProposalError(`block time ${block.header.time} is more than ${drift} ms past this node's clock (${c.now})`);
  if (block.header.proposer !== proposer) throw new InvalidProposalError('the header names another proposer');
  checkCommittedBlock(block, c);
}

/** The block this node proposes: the header names its parent, roots, validator set and proposer, so it passes the checks above. */
export function buildBlock(c: ChainContext, b: { height: number; time: number; txs: Uint8Array[]; execution: ExecutionResult; proposer: string }): Block {
  const header: BlockHeader = {
    chainId: c.chainId,
    height: b.height,
    time: b.time,
    parentHash: c.parent ? headerHash(c.suite, c.parent) : new Uint8Array(0),
    txRoot: txRoot(c.suite, b.txs),
    stateRoot: b.execution.stateRoot,
    resultsRoot: b.execution.resultsRoot,
    validatorSetHash: validatorSetHash(c.suite, c.validators),
    proposer: b.proposer,
  };
  return { header, txs: b.txs };
}
