import type { CodecValue } from '../codec/index.js';

/*
 * The boundary between the engine (mempool, consensus, block store) and a state machine (`kv`
 * now, the EVM later), in the spirit of CometBFT's ABCI. The engine never learns what a
 * transaction means: it hands bytes in and gets verdicts, roots and results back.
 *
 * How a node drives one chain's Application (execution is immediate: a header carries the state
 * and results roots *after* its own block):
 *
 *   start     info(); if height is 0 and nothing was ever committed, initChain(genesis). If the
 *             block store is ahead of info().height (a crash between storing a block and
 *             committing its state), replay each stored block: executeBlock, compare its roots
 *             with the header, commit.
 *   check     the mempool runs the application's stateless check (named by `statelessCheck`)
 *             in a worker pool, then checkTx(tx, 'new') on the main thread for the stateful part.
 *   propose   the proposer reaps candidates from the mempool, prepareProposal(candidates, limits)
 *             picks the txs, executeBlock(ctx, txs) gives the roots it puts in the header.
 *   validate  every validator runs executeBlock(ctx, proposal.txs) and prevotes nil when its
 *             roots differ from the header's. Several candidates of one height may be executed
 *             (rounds, several proposals); each is an overlay on the committed state, nothing is
 *             written.
 *   decide    after +2/3 precommits the node stores the block, then commit(height, executionId)
 *             of the decided candidate persists exactly that overlay (one synced batch) and drops
 *             the others.
 *   recheck   mempool.update() calls checkTx(tx, 'recheck') for what is left in the mempool.
 *   query     query(path, data) reads committed state only.
 *
 * Calls that change the application (initChain, executeBlock, commit) are made one at a time per
 * chain; checkTx and query may interleave with them.
 */
export interface Application {
  // --- Info and query: node start-up, gateway --------------------------------------------
  /** The last committed height (0 before the first block) and the state root after it. */
  info(): Promise<AppInfo>;
  /** Reads committed state: `path` names the query, `data` its argument; see each application. */
  query(path: string, data: Uint8Array): Promise<QueryResult>;

  // --- Mempool -------------------------------------------------------------------------------
  /** The module a worker thread loads to run the stateless check (decode, sizes, chain, signature). */
  readonly statelessCheck: StatelessCheckSpec;
  /** The same stateless check on the calling thread (for tests, benches and a pool of size 0). */
  checkStateless(tx: Uint8Array): StatelessVerdict;
  /**
   * Optional: a verdict the worker pool reached for `tx`, so the application can keep what it
   * derived there (the EVM keeps the recovered sender and skips recovering it again).
   */
  noteStatelessVerdict?(tx: Uint8Array, verdict: StatelessVerdict): void;
  /** The stateful check of a tx that passed the stateless one: its nonce against committed state. */
  checkTx(tx: Uint8Array, kind: CheckTxKind): Promise<CheckTxResult>;

  // --- Consensus -----------------------------------------------------------------------------
  /** Sets up the state of height 0 from genesis; repeating it at height 0 is harmless. */
  initChain(genesis: Genesis): Promise<AppInfo>;
  /** Chooses, from candidates in mempool order, the txs of a proposal within `limits`. */
  prepareProposal(candidates: readonly Uint8Array[], limits: ProposalLimits): Promise<Uint8Array[]>;
  /** Executes a candidate block of height committed + 1 on an overlay, persisting nothing. */
  executeBlock(ctx: BlockContext, txs: readonly Uint8Array[]): Promise<ExecutionResult>;
  /** Durably persists the overlay of the decided candidate, drops every other one. */
  commit(height: number, executionId: string): Promise<AppInfo>;
}

export interface AppInfo {
  readonly height: number;
  readonly stateRoot: Uint8Array;
}

export interface Genesis {
  readonly chainId: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** Application-specific initial state; `null` for none. */
  readonly appState: CodecValue;
}

export interface QueryResult {
  /** The committed height the answer was read at. */
  readonly height: number;
  /** The answer, encoded as the application documents; undefined when there is nothing. */
  readonly value: Uint8Array | undefined;
}

/** 'new': first time this node sees the tx. 'recheck': the tx was admitted before a commit. */
export type CheckTxKind = 'new' | 'recheck';

/**
 * Why an application refuses a tx, at admission or at execution. The mempool maps each to its
 * own error (MEMPOOL_*); an executed tx that fails records the code in its result.
 */
export type TxRejectCode =
  | 'TX_MALFORMED'
  | 'TX_TOO_LARGE'
  | 'TX_WRONG_CHAIN'
  | 'TX_BAD_SIGNATURE'
  | 'TX_NONCE_TOO_LOW'
  | 'TX_BAD_NONCE'
  /** The signer may not do this (e.g. a kv key owned by another sender). */
  | 'TX_UNAUTHORIZED'
  | 'TX_INVALID';

export interface TxRejection {
  readonly ok: false;
  readonly code: TxRejectCode;
  /** For people; may change between versions. */
  readonly reason: string;
}

/** What a stateless check says; plain data, so it crosses a worker boundary unchanged. */
export type StatelessVerdict = { readonly ok: true; readonly sender: string; readonly nonce: number } | TxRejection;

export type CheckTxResult =
  | {
      readonly ok: true;
      /** An address in the application's own format (kv: 40 lowercase hex digits). */
      readonly sender: string;
      readonly nonce: number;
      /** The sender's next nonce in committed state; the mempool holds txs from here on. */
      readonly nextNonce: number;
      /** Larger goes first among senders; 0 when the application has no preference. */
      readonly priority: number;
    }
  | TxRejection;

/**
 * Where a worker thread finds an application's stateless check: `moduleUrl` exports
 * `exportName`, a StatelessCheckFactory, called once per worker with `config`.
 */
export interface StatelessCheckSpec {
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly config: CodecValue;
}

export type StatelessCheck = (tx: Uint8Array) => StatelessVerdict;
export type StatelessCheckFactory = (config: CodecValue) => StatelessCheck;

export interface ProposalLimits {
  /** Sum of the txs' lengths. */
  readonly maxBytes: number;
  readonly maxTxs: number;
}

/** What execution may know about the block besides its txs. */
export interface BlockContext {
  readonly height: number;
  /** The header's time, milliseconds since the epoch. */
  readonly time: number;
  /**
   * Per tx, true when this node already ran the stateless check on exactly these bytes (they came
   * through its mempool or its worker pool); the application may then skip the signature. The
   * verdict is a pure function of the bytes, so this changes speed, never results.
   */
  readonly statelessChecked?: readonly boolean[];
}

export interface TxResult {
  readonly ok: boolean;
  /** 'OK', or a TxRejectCode or application code saying why the tx changed nothing. */
  readonly code: string;
  /**
   * Whether the tx ran (changed state: an EVM tx that reverted still bumped its nonce and paid
   * gas); `ok` when absent, as in kv, where a failed tx changes nothing. Not part of the
   * results root (encodeTxResult): it follows from the same execution.
   */
  readonly executed?: boolean;
}

/** Whether a committed tx ran, or was included in its block but not executed (it changed nothing). */
export const txExecuted = (result: TxResult): boolean => result.executed ?? result.ok;

export interface ExecutionResult {
  /** Names this overlay for commit(); unique among the candidates of one height. */
  readonly executionId: string;
  readonly height: number;
  readonly stateRoot: Uint8Array;
  readonly resultsRoot: Uint8Array;
  readonly results: readonly TxResult[];
  /**
   * The chain's whole validator set from height + 1 on, when this block changes it (the
   * governance chain adds, suspends or revokes a node); absent when the set stays as it is.
   * Part of consensus: every validator computes the same set from the same block, and the next
   * header's validatorSetHash names it.
   */
  readonly nextValidators?: readonly ValidatorUpdate[];
}

/** One member of a validator set an application asks for. */
export interface ValidatorUpdate {
  /** For logs and status. */
  readonly name: string;
  /** The raw public key in the chain's suite (PublicKey.bytes). */
  readonly publicKey: Uint8Array;
  readonly power: number;
}
