import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EvmCallBusyError, EvmCallPoolClosedError, EvmCallTimeoutError, EvmCallWorkerError, type EvmCallError } from './call-errors.js';
import type { CallChain, CallOp, CallSpec, FromWorker, ReadRequest, StateValue, ToWorker } from './call-protocol.js';
import type { CommittedState } from './overlay.js';

export interface EvmCallPoolOptions {
  /** Worker threads; default max(1, min(2, cores - 1)). */
  readonly workers?: number;
  /** Calls waiting for a worker beyond those running; more are refused with EvmCallBusyError. */
  readonly maxQueued?: number;
  /**
   * The longest a call may run in its worker, in ms (geth's --rpc.evmtimeout: 5 s). The clock
   * starts when a worker takes the call, so a worker's start-up is not charged to it; a queued
   * call waits at most for the calls ahead of it, each within this budget.
   */
  readonly timeoutMs?: number;
  /**
   * The share of its core a worker may spend on calls over time (0 < share ≤ 1): after a call
   * that ran t ms, the worker takes no call for t·(1/share − 1) ms. Sustained call load then
   * costs at most this share of a core per worker, whatever the callers do (default 0.5).
   */
  readonly cpuShare?: number;
}

export const CALL_POOL_DEFAULTS = { maxQueued: 16, timeoutMs: 5000, cpuShare: 0.5 } as const;

export function defaultCallWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

/** One call: its chain's VM parameters, the request, and the state (one height) it reads. */
export interface CallJob {
  readonly chain: CallChain;
  readonly op: CallOp;
  readonly req: CallSpec;
  readonly height: number;
  readonly timeMs: number;
  readonly state: CommittedState;
}

interface Pending {
  readonly id: number;
  readonly job: CallJob;
  readonly resolve: (value: Uint8Array) => void;
  readonly reject: (error: EvmCallError) => void;
  timer?: NodeJS.Timeout;
  /** performance.now() when a worker took it. */
  startedAt?: number;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  job: Pending | undefined;
}

/**
 * Runs eth_call / eth_estimateGas off the main thread, so that a long call cannot hold up the
 * event loop that drives consensus, p2p and HTTP. Each worker runs one call at a time; the main
 * thread only answers its state reads (cheap LevelDB gets on the call's snapshot). A call that
 * exceeds its budget gets EvmCallTimeoutError and its worker is terminated (a pure-compute loop
 * cannot be interrupted any other way) and replaced. Workers start at the first call and are
 * unref'd while idle, so an idle pool never keeps the process alive; close() ends it.
 */
export class EvmCallPool {
  readonly size: number;
  readonly maxQueued: number;
  readonly timeoutMs: number;
  readonly cpuShare: number;
  private readonly slots: (Slot | undefined)[];
  /** Per worker index: performance.now() before which it takes no call (its CPU share). */
  private readonly restUntil: number[];
  private wake: NodeJS.Timeout | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: EvmCallPoolOptions = {}) {
    this.size = options.workers ?? defaultCallWorkers();
    this.maxQueued = options.maxQueued ?? CALL_POOL_DEFAULTS.maxQueued;
    this.timeoutMs = options.timeoutMs ?? CALL_POOL_DEFAULTS.timeoutMs;
    this.cpuShare = options.cpuShare ?? CALL_POOL_DEFAULTS.cpuShare;
    if (!Number.isSafeInteger(this.size) || this.size < 1) throw new EvmCallWorkerError(`call pool size must be a positive integer, got ${this.size}`);
    if (!(this.cpuShare > 0 && this.cpuShare <= 1)) throw new EvmCallWorkerError(`call pool cpuShare must be in (0, 1], got ${this.cpuShare}`);
    this.slots = new Array<Slot | undefined>(this.size).fill(undefined);
    this.restUntil = new Array<number>(this.size).fill(0);
  }

  /** Calls running or waiting. */
  get load(): number {
    return this.queue.length + this.slots.filter((s) => s?.job !== undefined).length;
  }

  /** Starts the workers and resolves once each has loaded the EVM (a warm pool answers its first call sooner). */
  async warm(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < this.size; i++) this.slots[i] ??= this.spawn(i);
    while (!this.closed && !this.slots.every((s) => s?.ready)) {
      if (this.slots.some((s) => s === undefined)) throw new EvmCallWorkerError('a call worker exited while starting');
      if (Date.now() > deadline) throw new EvmCallWorkerError('the call workers did not start within 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Throws what run() would reject with at once (closed, busy): lets a caller skip its set-up. */
  admit(): void {
    if (this.closed) throw new EvmCallPoolClosedError('the call pool is closed');
    const idle = this.slots.some((s, i) => (s === undefined || (s.ready && s.job === undefined)) && this.restUntil[i]! <= performance.now());
    if (!idle && this.queue.length >= this.maxQueued) {
      throw new EvmCallBusyError(`too many calls in progress: ${this.load} running or queued (limit ${this.size + this.maxQueued}); retry later`);
    }
  }

  /** The call's encoded answer (query.ts); rejects with an EvmCallError when it has none. */
  run(job: CallJob): Promise<Uint8Array> {
    try {
      this.admit();
    } catch (err) {
      return Promise.reject(err as EvmCallError);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const p: Pending = { id: ++this.nextId, job, resolve, reject, settled: false };
      this.queue.push(p);
      this.dispatch();
    });
  }

  /** Terminates the workers; calls queued or running are rejected with EvmCallPoolClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.wake);
    const error = new EvmCallPoolClosedError('the call pool is closed');
    for (const p of this.queue.splice(0)) this.settle(p, error);
    const workers = this.slots.flatMap((s) => (s ? [s] : []));
    this.slots.fill(undefined);
    await Promise.all(workers.map(async (s) => {
      if (s.job) this.settle(s.job, error);
      await s.worker.terminate();
    }));
  }

  private dispatch(): void {
    for (let i = 0; i < this.size && this.queue.length > 0; i++) {
      const slot = (this.slots[i] ??= this.spawn(i));
      if (!slot.ready || slot.job !== undefined) continue;
      const rest = this.restUntil[i]! - performance.now();
      if (rest > 0) {
        this.wakeIn(rest);
        continue;
      }
      const p = this.queue.shift()!;
      slot.job = p;
      p.startedAt = performance.now();
      p.timer = setTimeout(() => this.expire(p), this.timeoutMs);
      slot.worker.ref();
      const { chain, op, req, height, timeMs } = p.job;
      slot.worker.postMessage({ kind: 'run', id: p.id, chain, op, req, height, timeMs } satisfies ToWorker);
    }
  }

  private spawn(index: number): Slot {
    const slot: Slot = { worker: startWorker(), ready: false, job: undefined };
    slot.worker.unref();
    slot.worker.on('message', (msg: FromWorker | { kind: 'ready' }) => {
      if (this.slots[index] !== slot) return;
      if (msg.kind === 'ready') {
        slot.ready = true;
        this.dispatch();
      } else if (msg.kind === 'read') this.serve(slot, msg);
      else if (slot.job?.id === msg.id) {
        const p = slot.job;
        this.release(slot);
        this.rest(index, p);
        if (msg.kind === 'done') this.settle(p, undefined, msg.value);
        else this.settle(p, new EvmCallWorkerError(`the call failed in its worker: ${msg.message}`));
        this.dispatch();
      }
    });
    const gone = (why: string) => {
      if (this.slots[index] !== slot) return;
      this.slots[index] = undefined;
      const error = new EvmCallWorkerError(why);
      if (slot.job) this.settle(slot.job, error);
      // A worker that dies before it is ready would die again: refuse what waits instead of
      // respawning in a loop; the next call tries a new worker.
      if (!slot.ready) for (const p of this.queue.splice(0)) this.settle(p, error);
      else if (!this.closed) this.dispatch();
    };
    slot.worker.on('error', (cause) => gone(`call worker failed: ${cause.message}`));
    slot.worker.on('exit', (code) => gone(`call worker exited with code ${code}`));
    return slot;
  }

  /** Answers a worker's state read from its call's snapshot; late reads of an abandoned call are dropped. */
  private serve(slot: Slot, msg: ReadRequest): void {
    const p = slot.job;
    if (p === undefined || p.id !== msg.id) return;
    const { state } = p.job;
    const r = msg.read;
    const value: Promise<StateValue> = r.what === 'account' ? state.account(r.address) : r.what === 'storage' ? state.storage(r.address, r.slot) : state.code(r.hash);
    const reply = (answer: ToWorker) => {
      if (slot.job === p) slot.worker.postMessage(answer);
    };
    value.then(
      (v) => reply({ kind: 'read', seq: msg.seq, value: v }),
      (err: unknown) => reply({ kind: 'read', seq: msg.seq, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private expire(p: Pending): void {
    if (p.settled) return;
    const error = new EvmCallTimeoutError(`execution aborted (timeout = ${this.timeoutMs / 1000}s)`);
    const index = this.slots.findIndex((s) => s?.job === p);
    if (index >= 0) {
      const slot = this.slots[index]!;
      // Detach first: the exit event of a replaced slot is ignored.
      this.slots[index] = undefined;
      this.rest(index, p);
      void slot.worker.terminate();
      // Started now, the replacement is warm by the time the next call comes.
      if (!this.closed) this.slots[index] = this.spawn(index);
    }
    this.settle(p, error);
    if (!this.closed) this.dispatch();
  }

  /** Keeps worker `index` idle long enough that `p`'s run stays within the pool's CPU share. */
  private rest(index: number, p: Pending): void {
    if (p.startedAt === undefined || this.cpuShare >= 1) return;
    const ran = performance.now() - p.startedAt;
    this.restUntil[index] = performance.now() + ran * (1 / this.cpuShare - 1);
  }

  private wakeIn(ms: number): void {
    if (this.wake !== undefined) return;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.dispatch();
    }, Math.ceil(ms));
  }

  private release(slot: Slot): void {
    slot.job = undefined;
    slot.worker.unref();
  }

  private settle(p: Pending, error: EvmCallError | undefined, value?: Uint8Array): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(value!);
  }
}

/**
 * Starts call-worker next to this module with this module's own extension: .js from dist/, .ts
 * under tsx. Node 20 does not apply loader hooks registered by `--import tsx` to a worker's entry
 * module, so under tsx a one-line bootstrap registers tsx inside the worker first (as the
 * mempool's verify pool does; execution may not import from node, hence the copy).
 */
function startWorker(): Worker {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./call-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
