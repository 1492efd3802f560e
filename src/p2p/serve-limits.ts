/**
 * What one node gives one peer for block-sync requests (H4): a token bucket of requests per
 * second, and a byte bound on one answer. A syncing peer asks one batch at a time and waits for
 * it, so the defaults leave honest catch-up alone; a peer that asks over and over (and perhaps
 * never reads) gets small typed refusals instead of megabytes of blocks.
 */
export interface SyncServeLimits {
  /** Requests a peer may make per second, on average. */
  readonly requestsPerSecond: number;
  /** Requests a peer may make at once after being idle. */
  readonly burst: number;
  /** Bytes of blocks and certificates in one answer; its first block is always served if it fits a frame. */
  readonly maxReplyBytes: number;
}

export const DEFAULT_SYNC_SERVE_LIMITS: SyncServeLimits = Object.freeze({ requestsPerSecond: 20, burst: 40, maxReplyBytes: 1024 * 1024 });

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets beyond this many are pruned of the full ones (peers idle long enough to be back at `burst`). */
const PRUNE_AT = 1024;

/** Token buckets by key (a peer's fingerprint); time is read lazily, so there is no timer. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when it has none left. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= PRUNE_AT) this.prune(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
  }
}

/** Requests of one peer that may wait to be served; an honest peer has one out at a time. */
const QUEUE_PER_PEER = 4;

/**
 * The serving side's gate: a peer's requests run one after the other (a few may wait), within
 * its request rate. Whatever is over either is refused at once, before any block is read.
 */
export class SyncServeGate {
  readonly limits: SyncServeLimits;
  private readonly rate: RateLimiter;
  private readonly queues = new Map<string, { waiting: number; tail: Promise<void> }>();

  constructor(limits: Partial<SyncServeLimits> | undefined, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_SYNC_SERVE_LIMITS, ...limits };
    this.rate = new RateLimiter(this.limits.requestsPerSecond, this.limits.burst, now);
  }

  /** Runs `task` after the peer's earlier requests; or, refused, returns why (a string) without running it. */
  enqueue(key: string, task: () => Promise<void> | void): Promise<void> | string {
    const queue = this.queues.get(key) ?? { waiting: 0, tail: Promise.resolve() };
    if (queue.waiting >= QUEUE_PER_PEER) return `${queue.waiting} requests already wait`;
    if (!this.rate.take(key)) return `more than ${this.limits.requestsPerSecond} block requests per second`;
    queue.waiting++;
    this.queues.set(key, queue);
    const run = queue.tail.then(task);
    queue.tail = run
      .catch(() => undefined)
      .finally(() => {
        if (--queue.waiting === 0 && this.queues.get(key) === queue) this.queues.delete(key);
      });
    return run;
  }
}
