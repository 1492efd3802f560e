/** One admitted tx. */
export interface MempoolEntry {
  readonly tx: Uint8Array;
  /** Lowercase hex of the chain hash of `tx`. */
  readonly hash: string;
  readonly sender: string;
  readonly nonce: number;
  readonly priority: number;
  /** Admission order across the whole mempool: earlier goes first among equal priorities. */
  readonly seq: number;
}

/**
 * The txs of one sender, by nonce. Those from `nextNonce` on without a gap are ready for a
 * proposal; the rest wait for the gap to fill.
 */
export class SenderQueue {
  private readonly byNonce = new Map<number, MempoolEntry>();
  private readyRun = 0;

  /** @param next the sender's next nonce in committed state */
  constructor(
    readonly sender: string,
    private next: number,
  ) {}

  get nextNonce(): number {
    return this.next;
  }

  get size(): number {
    return this.byNonce.size;
  }

  /** How many txs from nextNonce on are contiguous. */
  get ready(): number {
    return this.readyRun;
  }

  get(nonce: number): MempoolEntry | undefined {
    return this.byNonce.get(nonce);
  }

  add(entry: MempoolEntry): void {
    this.byNonce.set(entry.nonce, entry);
    this.recount();
  }

  remove(nonce: number): void {
    if (this.byNonce.delete(nonce)) this.recount();
  }

  /** Entries in nonce order. */
  sorted(): MempoolEntry[] {
    return [...this.byNonce.values()].sort((a, b) => a.nonce - b.nonce);
  }

  /** Moves nextNonce forward (never back) and returns the entries now below it. */
  advance(nextNonce: number): MempoolEntry[] {
    if (nextNonce <= this.next) return [];
    this.next = nextNonce;
    const stale = [...this.byNonce.values()].filter((e) => e.nonce < nextNonce);
    for (const e of stale) this.byNonce.delete(e.nonce);
    this.recount();
    return stale;
  }

  private recount(): void {
    let n = 0;
    while (this.byNonce.has(this.next + n)) n++;
    this.readyRun = n;
  }
}

/** Highest priority first, then earliest admitted: the order in which proposals take senders' head txs. */
export function proposalOrder(a: MempoolEntry, b: MempoolEntry): number {
  return b.priority - a.priority || a.seq - b.seq;
}

/** A binary min-heap under `before`; small, because reap is the only user. */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.before(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
