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

/** A listener the config names (p2p, operations, gateway) could not start, e.g. its port is taken. */
export class NodeListenError extends BsnError {
  readonly code = 'NODE_LISTEN_FAILED';

  constructor(what: string, listen: string, cause: unknown) {
    const reason = (cause as { code?: string }).code === 'EADDRINUSE' ? 'the address is already in use' : (cause as Error).message;
    super(`cannot start the ${what} listener on ${listen}: ${reason}`, { cause });
  }
}

/** A CRL file could not be read or is not a CRL at a reload; the CRLs in force stay (docs/pki.md). */
export class CrlReloadError extends BsnError {
  readonly code = 'NODE_CRL_RELOAD';
}

/**
 * A transaction its block includes but whose result is a failure: `?wait=commit` answers it as
 * such (HTTP 422, with the result code), never as committed. The two kinds differ in what the tx did.
 */
export abstract class TxOutcomeError extends BsnError {
  /** The HTTP status the REST and operations endpoints answer with. */
  readonly statusCode = 422;

  constructor(
    readonly height: number,
    readonly index: number,
    /** The application's result code (TX_BAD_NONCE, INSUFFICIENT_FUNDS, REVERTED, TX_UNAUTHORIZED, …). */
    readonly resultCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Included but not executed (a bad nonce, funds or gas that ran out within the block): it changed nothing and will not run. */
export class TxNotExecutedError extends TxOutcomeError {
  readonly code = 'NODE_TX_NOT_EXECUTED';

  constructor(height: number, index: number, resultCode: string) {
    super(height, index, resultCode, `the transaction was included at height ${height} (index ${index}) but not executed: ${resultCode}; it changed nothing and will not run`);
  }
}

/** Executed and failed (an EVM revert, a kv write to another owner's key): its nonce is used (and EVM gas paid), nothing else changed. */
export class TxFailedError extends TxOutcomeError {
  readonly code = 'NODE_TX_FAILED';

  constructor(height: number, index: number, resultCode: string) {
    super(height, index, resultCode, `the transaction was executed at height ${height} (index ${index}) and failed: ${resultCode}; its nonce is used`);
  }
}

/** Two chains a node hosts have the same EVM chain id (`appState.chainId`): refused at start. */
export class DuplicateEvmChainIdError extends BsnError {
  readonly code = 'NODE_DUPLICATE_EVM_CHAIN_ID';
}
