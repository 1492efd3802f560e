import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StatelessCheckSpec, StatelessVerdict } from '../../execution/index.js';
import { MempoolBusyError, MempoolClosedError, VerifyPoolError } from './errors.js';
import type { TxVerifier } from './verifier.js';
import type { BatchRequest, BatchResponse, SpecMessage } from './verify-protocol.js';

export interface VerifyPoolOptions {
  /** Worker threads; default max(1, cores - 1), leaving one core to the main thread. */
  readonly size?: number;
  /** Most txs in one message to a worker. */
  readonly batchSize?: number;
  /** Batches outstanding per worker; more queue up in the pool and leave as bigger batches. */
  readonly maxBatchesPerWorker?: number;
  /** Txs that may wait in the pool for a worker (default 20,000); beyond, check() rejects with MempoolBusyError. */
  readonly maxQueued?: number;
  /** Bytes of txs that may wait in the pool (default 64 MiB); beyond, MempoolBusyError. */
  readonly maxQueuedBytes?: number;
}

export const DEFAULT_MAX_QUEUED = 20_000;
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

interface Item {
  readonly key: string;
  readonly tx: Uint8Array;
  readonly resolve: (verdict: StatelessVerdict) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly batches: Map<number, readonly Item[]>;
  /** Batches answered; while no worker has answered any, a dead worker is not restarted. */
  answered: number;
  gone: boolean;
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Runs applications' stateless checks (decode, sizes, chain, signature) on worker threads. One
 * pool serves every chain of a node (`verifierFor(spec)`), so a node hosting many chains still
 * has one set of threads. Calls made in the same turn of the event loop are grouped into
 * batches of one check each, so one message carries many txs. Idle workers are unref'd: an idle
 * pool never keeps the process alive; close() ends it.
 */
export class VerifyPool implements TxVerifier {
  private readonly slots: Slot[] = [];
  /** Waiting items per check; `turns` holds each key with items once, so batches take turns across chains. */
  private readonly queues = new Map<string, Fifo<Item>>();
  private readonly turns = new Fifo<string>();
  private queuedTxs = 0;
  private queuedBytes = 0;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;
  private nextId = 0;
  private flushScheduled = false;
  private closed = false;
  private broken: VerifyPoolError | undefined;
  private readonly specs = new Map<string, StatelessCheckSpec>();
  private readonly defaultKey: string | undefined;

  /** `spec`, when given, is the check that `check()` runs; others come through verifierFor(). */
  constructor(spec: StatelessCheckSpec | undefined, options: VerifyPoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isSafeInteger(size) || size < 1) throw new VerifyPoolError(`pool size must be a positive integer, got ${size}`);
    this.batchSize = options.batchSize ?? 64;
    this.maxBatches = options.maxBatchesPerWorker ?? 2;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
    this.defaultKey = spec ? this.register(spec) : undefined;
  }

  /** A verifier running `spec` on this pool; closing it leaves the shared pool running. */
  verifierFor(spec: StatelessCheckSpec): TxVerifier {
    const key = this.register(spec);
    return { check: (tx) => this.checkWith(key, tx), close: async () => undefined };
  }

  private register(spec: StatelessCheckSpec): string {
    const key = JSON.stringify(spec);
    if (this.specs.has(key)) return key;
    this.specs.set(key, spec);
    const message: SpecMessage = { kind: 'spec', key, spec };
    for (const slot of this.slots) if (!slot.gone) slot.worker.postMessage(message);
    return key;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Txs waiting for a worker (not those a worker is checking). */
  get queued(): number {
    return this.queuedTxs;
  }

  check(tx: Uint8Array): Promise<StatelessVerdict> {
    if (this.defaultKey === undefined) return Promise.reject(new VerifyPoolError('this pool has no default check; use verifierFor(spec)'));
    return this.checkWith(this.defaultKey, tx);
  }

  private checkWith(key: string, tx: Uint8Array): Promise<StatelessVerdict> {
    if (this.closed) return Promise.reject(new MempoolClosedError('the verification pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.queuedTxs >= this.maxQueued || this.queuedBytes + tx.length > this.maxQueuedBytes) {
      return Promise.reject(new MempoolBusyError(`${this.queuedTxs} txs (${this.queuedBytes} bytes) already wait for verification; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ key, tx, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Terminates the workers; checks still queued or running are rejected with MempoolClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new MempoolClosedError('the verification pool is closed');
    this.rejectQueued(error);
    await Promise.all(this.slots.map((slot) => this.retire(slot, error)));
  }

  private flush(): void {
    this.flushScheduled = false;
    for (;;) {
      const slot = this.leastBusy();
      if (!slot || this.queuedTxs === 0) return;
      this.send(slot, this.takeBatch());
    }
  }

  private enqueue(item: Item): void {
    let queue = this.queues.get(item.key);
    if (!queue) this.queues.set(item.key, (queue = new Fifo()));
    if (queue.length === 0) this.turns.push(item.key);
    queue.push(item);
    this.queuedTxs++;
    this.queuedBytes += item.tx.length;
  }

  /**
   * Up to batchSize items of the check whose turn it is, in order; that check goes to the back
   * of the turns if it has more. O(batch), whatever is queued behind (M13: this was a scan of
   * the whole queue per batch).
   */
  private takeBatch(): Item[] {
    const key = this.turns.shift()!;
    const queue = this.queues.get(key)!;
    const batch: Item[] = [];
    while (batch.length < this.batchSize && queue.length > 0) batch.push(queue.shift()!);
    if (queue.length > 0) this.turns.push(key);
    this.queuedTxs -= batch.length;
    for (const item of batch) this.queuedBytes -= item.tx.length;
    return batch;
  }

  private rejectQueued(error: Error): void {
    for (const queue of this.queues.values()) while (queue.length > 0) queue.shift()!.reject(error);
    while (this.turns.length > 0) this.turns.shift();
    this.queuedTxs = 0;
    this.queuedBytes = 0;
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.gone || slot.batches.size >= this.maxBatches) continue;
      if (!best || slot.batches.size < best.batches.size) best = slot;
    }
    return best;
  }

  private send(slot: Slot, items: readonly Item[]): void {
    const offsets = new Uint32Array(items.length + 1);
    for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i]! + items[i]!.tx.length;
    const data = new Uint8Array(offsets[items.length]!);
    for (let i = 0; i < items.length; i++) data.set(items[i]!.tx, offsets[i]);
    const request: BatchRequest = { kind: 'batch', id: this.nextId++, key: items[0]!.key, data, offsets };
    slot.batches.set(request.id, items);
    slot.worker.ref();
    slot.worker.postMessage(request, [data.buffer, offsets.buffer]);
  }

  private onResponse(slot: Slot, response: BatchResponse): void {
    const items = slot.batches.get(response.id);
    if (!items) return;
    slot.batches.delete(response.id);
    slot.answered++;
    if (slot.batches.size === 0) slot.worker.unref();
    items.forEach((item, i) => item.resolve(response.verdicts[i]!));
    this.flush();
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), batches: new Map(), answered: 0, gone: false };
    for (const [key, spec] of this.specs) slot.worker.postMessage({ kind: 'spec', key, spec } satisfies SpecMessage);
    slot.worker.unref();
    slot.worker.on('message', (response: BatchResponse) => this.onResponse(slot, response));
    slot.worker.on('error', (cause) => this.onGone(slot, new VerifyPoolError(`verification worker failed: ${cause.message}`, { cause })));
    slot.worker.on('exit', (code) => this.onGone(slot, new VerifyPoolError(`verification worker exited with code ${code}`)));
    return slot;
  }

  private onGone(slot: Slot, error: VerifyPoolError): void {
    if (slot.gone) return;
    slot.gone = true;
    for (const items of slot.batches.values()) for (const item of items) item.reject(this.closed ? new MempoolClosedError('the verification pool is closed') : error);
    slot.batches.clear();
    if (this.closed) return;
    const index = this.slots.indexOf(slot);
    if (this.slots.some((s) => s.answered > 0)) {
      this.slots[index] = this.spawn();
      this.flush();
      return;
    }
    // No worker has ever answered: the check cannot be loaded at all, and restarting would loop.
    this.broken = error;
    this.rejectQueued(error);
    for (const other of this.slots) if (other !== slot) void this.retire(other, error);
  }

  private async retire(slot: Slot, error: Error): Promise<void> {
    for (const items of slot.batches.values()) for (const item of items) item.reject(error);
    slot.batches.clear();
    slot.gone = true;
    await slot.worker.terminate();
  }
}

/** A queue with O(1) shift: a head index into an array that is compacted once half of it is spent. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Starts verify-worker next to this module with this module's own extension: .js from dist/,
 * .ts under tsx. Node 20 does not apply loader hooks registered by `--import tsx` to a worker's
 * entry module, so under tsx a one-line bootstrap registers tsx inside the worker first.
 */
function startWorker(): Worker {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./verify-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
