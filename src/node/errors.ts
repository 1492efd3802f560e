import { BsnError } from '../errors.js';

/** The node's config file or a file it names is missing, unreadable or invalid. */
export class NodeConfigError extends BsnError {
  readonly code = 'NODE_CONFIG_INVALID';
}

/** A genesis file is missing, unreadable or invalid. */
export class GenesisError extends BsnError {
  readonly code = 'NODE_GENESIS_INVALID';
}

/** The stored chain disagrees with what the node recomputes (state root, results, links). */
export class ChainDivergenceError extends BsnError {
  readonly code = 'NODE_CHAIN_DIVERGENCE';
}

/** A message from a peer that decodes as CBOR but is not a well-formed BSN message. */
export class WireFormatError extends BsnError {
  readonly code = 'NODE_WIRE_FORMAT';
}

/** A commit wait ended because the node stopped, or its caller gave up (the tx was refused). */
export class CommitWaitCancelledError extends BsnError {
  readonly code = 'NODE_COMMIT_WAIT_CANCELLED';
}

/** A submitted transaction was not committed within the wait the client asked for. */
export class CommitTimeoutError extends BsnError {
  readonly code = 'NODE_COMMIT_TIMEOUT';
}

/** A peer's proposed block breaks a rule of this chain (links, proposer, limits, time). */
export class InvalidProposalError extends BsnError {
  readonly code = 'NODE_INVALID_PROPOSAL';
}

/** A block from block sync does not match the commit certificate it came with (height, value id). */
export class SyncedBlockMismatchError extends BsnError {
  readonly code = 'NODE_SYNCED_BLOCK_MISMATCH';
}

/** The consensus WAL holds a record that refers to a block value no earlier record carries. */
export class WalRecordError extends BsnError {
  readonly code = 'NODE_WAL_RECORD';
}
