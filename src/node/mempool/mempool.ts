import type { Application, CheckTxResult } from '../../execution/index.js';
import {
  MempoolBusyError,
  MempoolClosedError,
  MempoolDuplicateError,
  MempoolEvictedError,
  MempoolFullError,
  MempoolNonceTakenError,
  MempoolNonceTooFarError,
  MempoolNonceTooLowError,
  MempoolTooLargeError,
  rejectionFor,
  type MempoolRejection,
} from './errors.js';
import { Heap, proposalOrder, SenderQueue, type MempoolEntry } from './sender-queue.js';
import { InlineVerifier, type TxVerifier } from './verifier.js';
import { VerifyPool } from './verify-pool.js';

export interface MempoolLimits {
  /** Longest single tx, checked before anything else. */
  readonly maxTxBytes: number;
  /** Most txs held. */
  readonly maxTxs: number;
  /** Most bytes held (sum of tx lengths). */
  readonly maxBytes: number;
  /** Per sender, txs held from its next committed nonce on: nonces beyond the window are refused. */
  readonly maxPerSender: number;
  /** Txs being admitted at once (verifying, checking); more get MEMPOOL_BUSY (M13). */
  readonly maxInFlight: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = Object.freeze({
  maxTxBytes: 1024 * 1024,
  maxTxs: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxPerSender: 16,
  maxInFlight: 4096,
});

export interface MempoolOptions {
  /** The execution interface; the mempool only ever calls checkTx. */
  readonly app: Pick<Application, 'checkTx' | 'noteStatelessVerdict'>;
  /** Runs the stateless check: a VerifyPool, or an InlineVerifier. Closed with the mempool. */
  readonly verifier: TxVerifier;
  /** The chain's tx hash (the suite's hash of the tx bytes). */
  readonly hash: (tx: Uint8Array) => Uint8Array;
  readonly limits?: Partial<MempoolLimits>;
}

export interface AddedTx {
  readonly hash: string;
  readonly sender: string;
  readonly nonce: number;
  /** True when a proposal could take it now; false while a lower nonce is missing. */
  readonly ready: boolean;
}

export interface DroppedTx {
  readonly hash: string;
  readonly sender: string;
  readonly nonce: number;
  readonly error: MempoolRejection;
}

/**
 * Transactions waiting for a block, for one chain. Admission, in order, each failure a typed
 * MempoolRejection: size (MEMPOOL_TOO_LARGE) → hash not already here or in flight
 * (MEMPOOL_DUPLICATE) → room among the txs in flight (MEMPOOL_BUSY) → the application's stateless check on a worker thread (MALFORMED,
 * TOO_LARGE, WRONG_CHAIN, BAD_SIGNATURE) → its stateful checkTx (NONCE_TOO_LOW, …) → the
 * per-sender window (NONCE_TAKEN, NONCE_TOO_FAR) → room (MEMPOOL_FULL, or evicting others).
 *
 * Eviction: when full, the sender with the most txs held loses its highest-nonce tx, repeatedly,
 * until the newcomer fits; only senders that hold more txs than the newcomer's sender would
 * after admission may lose any. When no such sender is left, the newcomer gets MEMPOOL_FULL.
 * Evicting the highest nonce never opens a gap, and one sender cannot crowd out many.
 */
export class Mempool {
  private readonly limits: MempoolLimits;
  private readonly byHash = new Map<string, MempoolEntry>();
  private readonly senders = new Map<string, SenderQueue>();
  /** Senders by how many txs they hold, for eviction. */
  private readonly bySize = new Map<number, Set<string>>();
  private readonly inFlight = new Set<string>();
  private readonly availableListeners = new Set<() => void>();
  private readonly droppedListeners = new Set<(dropped: DroppedTx) => void>();
  private totalBytes = 0;
  private totalReady = 0;
  private seq = 0;
  /** Changes with every update(): an admission whose stateful check straddles one redoes it. */
  private epoch = 0;
  private updating: Promise<void> = Promise.resolve();
  /** Set while update() reshuffles queues, so that it announces availability once, at the end. */
  private quiet = false;
  private closed = false;

  constructor(private readonly options: MempoolOptions) {
    this.limits = { ...DEFAULT_MEMPOOL_LIMITS, ...options.limits };
  }

  /** A mempool for `app` whose stateless checks run on `workers` threads (0: on this thread). */
  static open(
    app: Application,
    options: { hash: (tx: Uint8Array) => Uint8Array; workers?: number; batchSize?: number; limits?: Partial<MempoolLimits>; pool?: VerifyPool },
  ): Mempool {
    // A shared pool (one per node) serves every chain; otherwise the mempool gets its own.
    const verifier = options.pool
      ? options.pool.verifierFor(app.statelessCheck)
      : options.workers === 0
        ? new InlineVerifier((tx) => app.checkStateless(tx))
        : new VerifyPool(app.statelessCheck, { size: options.workers, batchSize: options.batchSize });
    return new Mempool({ app, verifier, hash: options.hash, limits: options.limits });
  }

  /** Txs held. */
  get count(): number {
    return this.byHash.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Txs a proposal could take now (no nonce gap before them). */
  get readyCount(): number {
    return this.totalReady;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): Uint8Array | undefined {
    return this.byHash.get(hash)?.tx;
  }

  /** Admits a tx or throws a MempoolRejection saying why not. */
  async add(tx: Uint8Array): Promise<AddedTx> {
    if (this.closed) throw new MempoolClosedError('the mempool is closed');
    if (tx.length > this.limits.maxTxBytes) throw new MempoolTooLargeError(`tx of ${tx.length} bytes exceeds ${this.limits.maxTxBytes}`);
    const hash = Buffer.from(this.options.hash(tx)).toString('hex');
    if (this.byHash.has(hash) || this.inFlight.has(hash)) throw new MempoolDuplicateError(`tx ${hash} is already in the mempool`);
    if (this.inFlight.size >= this.limits.maxInFlight) throw new MempoolBusyError(`${this.inFlight.size} txs are being admitted already; try again shortly`);
    this.inFlight.add(hash);
    try {
      const verdict = await this.options.verifier.check(tx);
      if (!verdict.ok) throw rejectionFor(verdict.code, verdict.reason);
      this.options.app.noteStatelessVerdict?.(tx, verdict);
      const checked = await this.checkStateful(tx);
      if (this.closed) throw new MempoolClosedError('the mempool is closed');
      return this.insert(tx, hash, checked);
    } finally {
      this.inFlight.delete(hash);
    }
  }

  /** Txs for a proposal: by priority, then admission order across senders, each sender's in nonce order. */
  reap(maxBytes: number, maxTxs: number): Uint8Array[] {
    const heads = new Heap<MempoolEntry>(proposalOrder);
    for (const q of this.senders.values()) {
      const head = q.get(q.nextNonce);
      if (head) heads.push(head);
    }
    const out: Uint8Array[] = [];
    let bytes = 0;
    while (out.length < maxTxs && heads.size > 0) {
      const e = heads.pop()!;
      // A tx that does not fit ends its sender's run: its successors would fail without it.
      if (bytes + e.tx.length > maxBytes) continue;
      out.push(e.tx);
      bytes += e.tx.length;
      const successor = this.senders.get(e.sender)?.get(e.nonce + 1);
      if (successor) heads.push(successor);
    }
    return out;
  }

  /**
   * After the application committed `height`: removes its txs, then rechecks every remaining tx
   * against the new state and drops those that became invalid (onDropped says why).
   */
  update(height: number, committedTxs: readonly Uint8Array[]): Promise<void> {
    const run = this.updating.then(() => this.applyUpdate(committedTxs));
    this.updating = run.catch(() => undefined);
    return run;
  }

  /** Called (in a microtask) when txs become ready while none were, and after an update that leaves some. */
  onTxsAvailable(listener: () => void): () => void {
    this.availableListeners.add(listener);
    return () => this.availableListeners.delete(listener);
  }

  /** Called for every tx dropped after admission: evicted, or invalid after a commit. */
  onDropped(listener: (dropped: DroppedTx) => void): () => void {
    this.droppedListeners.add(listener);
    return () => this.droppedListeners.delete(listener);
  }

  /** Stops admission and shuts the verifier down (its worker threads end). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.options.verifier.close();
  }

  private async checkStateful(tx: Uint8Array): Promise<CheckTxResult & { ok: true }> {
    for (;;) {
      const epoch = this.epoch;
      const result = await this.options.app.checkTx(tx, 'new');
      if (!result.ok) throw rejectionFor(result.code, result.reason);
      if (epoch === this.epoch) return result;
    }
  }

  private insert(tx: Uint8Array, hash: string, r: CheckTxResult & { ok: true }): AddedTx {
    const q = this.senders.get(r.sender);
    const next = Math.max(q?.nextNonce ?? 0, r.nextNonce);
    if (r.nonce < next) throw new MempoolNonceTooLowError(`nonce ${r.nonce} is below the sender's next nonce ${next}`);
    if (q?.get(r.nonce)) throw new MempoolNonceTakenError(`the sender already has tx ${q.get(r.nonce)!.hash} with nonce ${r.nonce}`);
    if (r.nonce >= next + this.limits.maxPerSender) {
      throw new MempoolNonceTooFarError(`nonce ${r.nonce} is ${r.nonce - next} ahead of the sender's next nonce ${next}; at most ${this.limits.maxPerSender - 1} is held`);
    }
    this.makeRoom((q?.size ?? 0) + 1, tx.length);
    const queue = q ?? new SenderQueue(r.sender, next);
    if (!q) this.senders.set(r.sender, queue);
    this.settle(queue, () => this.dropStale(queue.advance(next)));
    const entry: MempoolEntry = { tx, hash, sender: r.sender, nonce: r.nonce, priority: r.priority, seq: this.seq++ };
    this.settle(queue, () => queue.add(entry));
    this.byHash.set(hash, entry);
    this.totalBytes += tx.length;
    return { hash, sender: r.sender, nonce: r.nonce, ready: r.nonce < queue.nextNonce + queue.ready };
  }

  /** Runs a change to one sender's queue and keeps the size buckets and ready total in step. */
  private settle(q: SenderQueue, change: () => void): void {
    const size = q.size;
    const ready = q.ready;
    change();
    if (q.size !== size) this.rebucket(q.sender, size, q.size);
    const wasAvailable = this.totalReady > 0;
    this.totalReady += q.ready - ready;
    if (!wasAvailable && this.totalReady > 0 && !this.quiet) this.announce();
  }

  private rebucket(sender: string, from: number, to: number): void {
    this.bySize.get(from)?.delete(sender);
    if (from > 0 && this.bySize.get(from)?.size === 0) this.bySize.delete(from);
    if (to > 0) {
      let bucket = this.bySize.get(to);
      if (!bucket) this.bySize.set(to, (bucket = new Set()));
      bucket.add(sender);
    }
  }

  /** Makes room for one tx of `bytes` whose sender will then hold `senderCount`, or throws MEMPOOL_FULL. */
  private makeRoom(senderCount: number, bytes: number): void {
    const needTxs = this.byHash.size + 1 - this.limits.maxTxs;
    const needBytes = this.totalBytes + bytes - this.limits.maxBytes;
    if (needTxs <= 0 && needBytes <= 0) return;
    const victims = this.planEviction(needTxs, needBytes, senderCount);
    if (!victims) throw new MempoolFullError(`the mempool holds ${this.byHash.size} txs / ${this.totalBytes} bytes and no sender holds more than ${senderCount}`);
    for (const v of victims) this.drop(v, new MempoolEvictedError(`evicted to make room: sender ${v.sender} held the most txs`));
  }

  /** The txs the eviction rule would drop to free `needTxs` and `needBytes`, or undefined if it cannot. */
  private planEviction(needTxs: number, needBytes: number, floor: number): MempoolEntry[] | undefined {
    const levels: string[][] = [];
    for (const [size, senders] of this.bySize) if (size > floor) levels[size] = [...senders];
    const taken = new Map<string, number>();
    const victims: MempoolEntry[] = [];
    let top = levels.length - 1;
    while (needTxs > 0 || needBytes > 0) {
      while (top > floor && !levels[top]?.length) top--;
      if (top <= floor) return undefined;
      const sender = levels[top]!.pop()!;
      const k = taken.get(sender) ?? 0;
      const sorted = this.senders.get(sender)!.sorted();
      const victim = sorted[sorted.length - 1 - k]!;
      taken.set(sender, k + 1);
      victims.push(victim);
      needTxs--;
      needBytes -= victim.tx.length;
      (levels[top - 1] ??= []).push(sender);
    }
    return victims;
  }

  private drop(e: MempoolEntry, error: MempoolRejection | undefined): void {
    if (!this.byHash.delete(e.hash)) return;
    this.totalBytes -= e.tx.length;
    const q = this.senders.get(e.sender);
    if (q) {
      this.settle(q, () => q.remove(e.nonce));
      if (q.size === 0) this.senders.delete(e.sender);
    }
    if (error) this.emitDropped({ hash: e.hash, sender: e.sender, nonce: e.nonce, error });
  }

  private dropStale(entries: readonly MempoolEntry[]): void {
    for (const e of entries) this.forget(e, new MempoolNonceTooLowError(`nonce ${e.nonce} was used by a committed tx`));
  }

  /** Like drop, for an entry already taken out of its sender queue. */
  private forget(e: MempoolEntry, error: MempoolRejection): void {
    if (!this.byHash.delete(e.hash)) return;
    this.totalBytes -= e.tx.length;
    this.emitDropped({ hash: e.hash, sender: e.sender, nonce: e.nonce, error });
  }

  private async applyUpdate(committedTxs: readonly Uint8Array[]): Promise<void> {
    this.epoch++;
    this.quiet = true;
    try {
      await this.recheck(committedTxs);
    } finally {
      this.quiet = false;
    }
    if (this.totalReady > 0) this.announce();
  }

  private async recheck(committedTxs: readonly Uint8Array[]): Promise<void> {
    for (const tx of committedTxs) {
      const e = this.byHash.get(Buffer.from(this.options.hash(tx)).toString('hex'));
      if (e) this.drop(e, undefined);
    }
    const entries = [...this.byHash.values()];
    const results = await Promise.all(entries.map((e) => this.options.app.checkTx(e.tx, 'recheck')));
    const next = new Map<string, number>();
    entries.forEach((e, i) => {
      const r = results[i]!;
      if (!r.ok) this.drop(e, rejectionFor(r.code, r.reason));
      else next.set(e.sender, Math.max(next.get(e.sender) ?? 0, r.nextNonce));
    });
    for (const [sender, nextNonce] of next) {
      const q = this.senders.get(sender);
      if (!q) continue;
      this.settle(q, () => this.dropStale(q.advance(nextNonce)));
      if (q.size === 0) this.senders.delete(sender);
    }
  }

  private announce(): void {
    for (const listener of this.availableListeners) queueMicrotask(listener);
  }

  private emitDropped(dropped: DroppedTx): void {
    for (const listener of this.droppedListeners) queueMicrotask(() => listener(dropped));
  }
}
