/** What a ChainRunner is given: its chain, its parts, and the network and clock at its edges. */
import type { PrivateKey } from '../crypto/index.js';
import type { Block, BlockStore } from '../chain/index.js';
import type { ConsensusConfig } from '../consensus/index.js';
import type { Application, TxResult } from '../execution/index.js';
import type { Mempool } from './mempool/index.js';
import type { ChainGenesis } from './genesis.js';
import type { BlockLimits } from './proposal-checks.js';

/** What a chain needs from the network: gossip out, and a way to punish a peer. */
export interface ChainNetwork {
  broadcastConsensus(bytes: Uint8Array): void;
  reportInvalid(peer: string, reason: string): void;
}

/** The consensus write-ahead log as the runner uses it: durable appends, and forgetting a committed height. */
export interface ConsensusLog {
  append(record: Uint8Array): void;
  discard(): void;
}

/** The clock's timers, so a simulator can run the runner on virtual time. */
export interface ChainTimers {
  set(ms: number, fn: () => void): unknown;
  clear(handle: unknown): void;
}

export const realTimers: ChainTimers = {
  set: (ms, fn) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ChainLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ChainRunnerOptions {
  readonly genesis: ChainGenesis;
  readonly app: Application;
  readonly mempool: Mempool;
  readonly store: BlockStore;
  readonly wal: ConsensusLog;
  /** The snapshot records the WAL held at open (its recovery). */
  readonly walRecords: readonly Uint8Array[];
  readonly network: ChainNetwork;
  readonly privateKey: PrivateKey | null;
  readonly consensus: ConsensusConfig;
  readonly limits: BlockLimits;
  readonly log: ChainLog;
  readonly now?: () => number;
  /** Defaults to the real setTimeout/clearTimeout. */
  readonly timers?: ChainTimers;
  /**
   * TEST ONLY: puts back a fixed bug so the simulator can show it catches it. C1: no round window
   * (a proposal's round is unbounded before its signature is checked). C2: a proposal's block is
   * validated before the proposal is authenticated, its validity cached under the value id it
   * claims, and commit does not re-check the block's links.
   */
  readonly regressions?: { readonly C1?: boolean; readonly C2?: boolean };
  /** Called after every committed height (metrics, subscribers), with each tx's result in block order. */
  readonly onCommit?: (block: Block, latencyMs: number, results: readonly TxResult[]) => void;
}

/** Sizes of a runner's current-height state, each bounded (docs/security.md); `queued`: events not yet handled. */
export interface ChainRunnerInternals {
  readonly height: number;
  readonly round: number;
  readonly keeperRounds: number;
  readonly proposalRounds: number;
  readonly future: number;
  readonly candidates: number;
  readonly validity: number;
  readonly held: number;
  readonly queued: number;
}
