import type { AccountRecord } from './overlay.js';

/*
 * Messages between EvmCallPool (main thread) and a call worker. The worker runs the EVM; every
 * state read goes back to the main thread, which answers from the LevelDB snapshot the call was
 * given (LevelDB cannot be opened twice in one process). All values are structured-cloneable.
 */

/** What a worker needs to build the same VM as the chain's: the Common comes from the chain id. */
export interface CallChain {
  readonly chainId: number;
  readonly blockGasLimit: bigint;
  readonly coinbase: Uint8Array;
}

export interface CallSpec {
  readonly from?: Uint8Array;
  readonly to?: Uint8Array;
  readonly data: Uint8Array;
  readonly value: bigint;
  readonly gas: bigint;
}

export type CallOp = 'call' | 'estimateGas';

/** Runs one call (or a whole estimate) on state at `height`, in a block of height + 1 at `timeMs`. */
export interface RunMessage {
  readonly kind: 'run';
  readonly id: number;
  readonly chain: CallChain;
  readonly op: CallOp;
  readonly height: number;
  readonly timeMs: number;
  readonly req: CallSpec;
}

export type StateRead =
  | { readonly what: 'account'; readonly address: string }
  | { readonly what: 'storage'; readonly address: string; readonly slot: string }
  | { readonly what: 'code'; readonly hash: string };

export type StateValue = AccountRecord | Uint8Array | null;

/** worker → main: a read of the run's state. */
export interface ReadRequest {
  readonly kind: 'read';
  readonly id: number;
  readonly seq: number;
  readonly read: StateRead;
}

/** main → worker: the value read, or why the read failed. */
export interface ReadAnswer {
  readonly kind: 'read';
  readonly seq: number;
  readonly value?: StateValue;
  readonly error?: string;
}

/** worker → main: the run's answer (the query path's encoded value), or why it has none. */
export type RunOutcome = { readonly kind: 'done'; readonly id: number; readonly value: Uint8Array } | { readonly kind: 'failed'; readonly id: number; readonly message: string };

export type ToWorker = RunMessage | ReadAnswer;
export type FromWorker = ReadRequest | RunOutcome;
