import { TokenBucket } from '../quota/token-bucket.js';
import { QuotaCallerRateError, QuotaConcurrencyError, QuotaIpRateError, type RateLimit, type TrafficLimits } from './limits.js';

/*
 * Per-IP and per-caller rate and concurrency (M3). Buckets and counters live in memory, keyed by
 * IP or caller id; full buckets and zero counters are dropped, so only active keys cost memory.
 */

/** How many buckets may pile up before full ones are swept. */
const SWEEP_AT = 4096;

class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limit: RateLimit) {}

  /** 0 when a token was taken, else the seconds to wait. */
  take(key: string, now: number): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_AT) for (const [k, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(k);
      bucket = new TokenBucket(this.limit.requestsPerSecond, this.limit.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }
}

class InFlight {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more for `key`, or false when it has `max` already. */
  enter(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  leave(key: string): void {
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }
}

export class TrafficLimiter {
  private readonly ipRate: KeyedBuckets;
  private readonly callerRate: KeyedBuckets;
  private readonly ipInFlight: InFlight;
  private readonly callerInFlight: InFlight;

  constructor(
    readonly limits: TrafficLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.ipRate = new KeyedBuckets(limits.perIp);
    this.callerRate = new KeyedBuckets(limits.perCaller);
    this.ipInFlight = new InFlight(limits.perIp.concurrent);
    this.callerInFlight = new InFlight(limits.perCaller.concurrent);
  }

  /** A request (or WebSocket message) from `ip`: the error to answer with when over its rate. */
  admitIp(ip: string): QuotaIpRateError | undefined {
    const wait = this.ipRate.take(ip, this.clock());
    return wait === 0 ? undefined : new QuotaIpRateError(`too many requests from ${ip}; retry in ${wait} s`, wait);
  }

  /** A request of an authenticated caller (certificate fingerprint or API key id). */
  admitCaller(caller: string): QuotaCallerRateError | undefined {
    const wait = this.callerRate.take(caller, this.clock());
    return wait === 0 ? undefined : new QuotaCallerRateError(`too many requests from this caller; retry in ${wait} s`, wait);
  }

  /** Takes an in-flight slot of `ip` (`caller`): a release function, or the error when there is none. */
  enterIp(ip: string): (() => void) | QuotaConcurrencyError {
    return this.enter(this.ipInFlight, ip, `too many requests in flight from ${ip}`);
  }

  enterCaller(caller: string): (() => void) | QuotaConcurrencyError {
    return this.enter(this.callerInFlight, caller, 'too many requests in flight from this caller');
  }

  private enter(counter: InFlight, key: string, message: string): (() => void) | QuotaConcurrencyError {
    if (!counter.enter(key)) return new QuotaConcurrencyError(`${message}; retry when one is answered`, 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      counter.leave(key);
    };
  }
}
