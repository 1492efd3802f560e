import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { Address } from '@ethereumjs/util';
import type { CallChain, FromWorker, ReadAnswer, RunMessage, StateRead, StateValue, ToWorker } from './call-protocol.js';
import { runCallOp } from './call-run.js';
import { evmCommon } from './common.js';
import { EvmExecutor } from './executor.js';
import type { AccountRecord, CommittedState } from './overlay.js';

/*
 * A call worker of EvmCallPool: runs eth_call / eth_estimateGas on its own EVM, one run at a
 * time, and asks the main thread for every state value it needs. The pool terminates the thread
 * when a run exceeds its time budget, so nothing here needs to watch the clock.
 */

/** The call worker's nice value: calls get the CPU that consensus, p2p and HTTP leave over. */
const CALL_WORKER_NICE = 10;

/**
 * Lowers this thread's scheduling priority. On Linux a nice value is per thread and
 * setpriority(PRIO_PROCESS, tid) sets one thread's, so the node's main thread keeps its own.
 * Elsewhere (no /proc/thread-self), or when not allowed, the thread keeps the normal priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, CALL_WORKER_NICE);
  } catch {
    // not Linux, or not permitted: normal priority
  }
}

lowerPriority();
const port = parentPort!;
const executors = new Map<string, Promise<EvmExecutor>>();
const reads = new Map<number, { resolve: (v: StateValue) => void; reject: (e: Error) => void }>();
let seq = 0;

function executorFor(chain: CallChain): Promise<EvmExecutor> {
  const key = `${chain.chainId}/${chain.blockGasLimit}/${Buffer.from(chain.coinbase).toString('hex')}`;
  let e = executors.get(key);
  if (e === undefined) {
    e = EvmExecutor.create({ common: evmCommon(chain.chainId), chainId: chain.chainId, blockGasLimit: chain.blockGasLimit, coinbase: new Address(chain.coinbase) });
    executors.set(key, e);
  }
  return e;
}

/**
 * The run's state, read through the main thread. Values are cached for the run: the main thread
 * answers from one snapshot, so a value never changes during a run (an estimate's repeated calls
 * then cost one round trip per distinct key).
 */
class RemoteState implements CommittedState {
  private readonly cache = new Map<string, Promise<StateValue>>();
  /** The first read that failed: the run's answer would be wrong, so it is reported instead. */
  failure: Error | undefined;

  constructor(private readonly id: number) {}

  account(address: string): Promise<AccountRecord | null> {
    return this.read(`a${address}`, { what: 'account', address }) as Promise<AccountRecord | null>;
  }

  storage(address: string, slot: string): Promise<Uint8Array | null> {
    return this.read(`s${address}${slot}`, { what: 'storage', address, slot }) as Promise<Uint8Array | null>;
  }

  code(hash: string): Promise<Uint8Array | null> {
    return this.read(`c${hash}`, { what: 'code', hash }) as Promise<Uint8Array | null>;
  }

  private read(key: string, read: StateRead): Promise<StateValue> {
    let p = this.cache.get(key);
    if (p === undefined) {
      const n = ++seq;
      p = new Promise<StateValue>((resolve, reject) => reads.set(n, { resolve, reject }));
      p.catch((err: Error) => (this.failure ??= err));
      this.cache.set(key, p);
      port.postMessage({ kind: 'read', id: this.id, seq: n, read } satisfies FromWorker);
    }
    return p;
  }
}

async function run(msg: RunMessage): Promise<void> {
  const state = new RemoteState(msg.id);
  let out: FromWorker;
  try {
    const value = await runCallOp(await executorFor(msg.chain), state, msg.height, msg.timeMs, msg.op, msg.req);
    out = state.failure ? { kind: 'failed', id: msg.id, message: `state read failed: ${state.failure.message}` } : { kind: 'done', id: msg.id, value };
  } catch (err) {
    out = { kind: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(out);
}

function answer(msg: ReadAnswer): void {
  const pending = reads.get(msg.seq);
  if (pending === undefined) return;
  reads.delete(msg.seq);
  if (msg.error !== undefined) pending.reject(new Error(msg.error));
  else pending.resolve(msg.value ?? null);
}

port.on('message', (msg: ToWorker) => {
  if (msg.kind === 'read') answer(msg);
  else void run(msg);
});

// The imports above (the EVM) are loaded: the pool may send runs now, and their clocks are fair.
port.postMessage({ kind: 'ready' });
