/**
 * A token bucket: `capacity` tokens, refilled continuously at `ratePerSecond`. Time is passed in
 * (ms), so the bucket is pure and tests need no clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes one token: 0 when taken, else the whole seconds after which one will be there (at least 1). */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // Rounded up: a client that waits exactly this long finds a token.
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }

  /** Like `take`, but takes nothing: 0 when a token is there. */
  peek(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }

  /** Full again at `now`: the bucket can be forgotten without changing any answer. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    // A clock that steps back gives no tokens rather than negative ones.
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.ratePerSecond);
    this.last = Math.max(this.last, now);
  }
}
