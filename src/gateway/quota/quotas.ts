import type { GatewaySublevel } from '../store.js';
import { TxDayCounter } from './day-counter.js';
import { limitsFor, QuotaRequestsPerSecondError, QuotaTxPerDayError, secondsToNextUtcDay, utcDay, type QuotaConfig, type QuotaError } from './limits.js';
import { TokenBucket } from './token-bucket.js';

/** A reservation of transactions, to give back when they were not accepted. */
export interface TxReservation {
  readonly appId: string;
  readonly day: string;
  readonly n: number;
}

export interface QuotasOptions {
  readonly config: QuotaConfig | undefined;
  /** The gateway store's 'quota' sublevel. */
  readonly db: GatewaySublevel;
  /** ms since the epoch; Date.now by default. */
  readonly clock?: () => number;
  /** Part of each app's request rate anonymous callers may never take; 0.5 by default (M3). */
  readonly authenticatedShare?: number;
}

/** How many idle buckets may pile up before full ones are swept. */
const SWEEP_AT = 1024;

/**
 * The quota checks of the gateway, transport-independent: `admitRequest` per HTTP request or
 * WebSocket message, `reserveTxs` per submitted transaction. Buckets live in memory (a restart
 * refills them); the day counts are persisted.
 */
export class Quotas {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly days: TxDayCounter;
  private readonly clock: () => number;

  constructor(private readonly options: QuotasOptions) {
    this.days = new TxDayCounter(options.db);
    this.clock = options.clock ?? Date.now;
  }

  /** Whether any quota is configured at all (no work per request otherwise). */
  get enabled(): boolean {
    const c = this.options.config;
    return c !== undefined && (c.default !== undefined || Object.keys(c.apps ?? {}).length > 0);
  }

  /**
   * Takes a request token of `appId`; the error to answer with when there is none. Anonymous
   * requests also need a token of the app's anonymous bucket, which refills at only
   * (1 - authenticatedShare) of the rate: a flood of them leaves the rest to signed callers (M3).
   */
  admitRequest(appId: string, authenticated = false): QuotaRequestsPerSecondError | undefined {
    const { requestsPerSecond, burst } = limitsFor(this.options.config, appId);
    if (requestsPerSecond === undefined) return undefined;
    const now = this.clock();
    const size = burst ?? Math.max(1, Math.ceil(requestsPerSecond));
    const bucket = this.bucket(appId, requestsPerSecond, size, now);
    if (!authenticated) {
      const share = 1 - (this.options.authenticatedShare ?? 0.5);
      if (share <= 0) return new QuotaRequestsPerSecondError(`app '${appId}' takes only authenticated requests`, 1);
      const anonymous = this.bucket(`${appId}\0anonymous`, requestsPerSecond * share, Math.max(1, Math.floor(size * share)), now);
      const wait = bucket.peek(now) === 0 ? anonymous.peek(now) : 0;
      if (wait > 0) return new QuotaRequestsPerSecondError(`app '${appId}' is over its quota of ${(requestsPerSecond * share).toFixed(2).replace(/\.?0+$/, '')} anonymous requests per second; sign the request, or retry in ${wait} s`, wait);
      if (bucket.peek(now) === 0) anonymous.take(now);
    }
    const wait = bucket.take(now);
    if (wait === 0) return undefined;
    return new QuotaRequestsPerSecondError(`app '${appId}' is over its quota of ${requestsPerSecond} requests per second; retry in ${wait} s`, wait);
  }

  private bucket(key: string, rate: number, size: number, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      bucket = new TokenBucket(rate, size, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Counts `n` transactions of `appId` today, or the error to answer with when that exceeds the day's quota. */
  async reserveTxs(appId: string, n = 1): Promise<TxReservation | QuotaError | undefined> {
    const { txPerDay } = limitsFor(this.options.config, appId);
    if (txPerDay === undefined) return undefined;
    const now = this.clock();
    const day = utcDay(now);
    if (await this.days.reserve(appId, day, n, txPerDay)) return { appId, day, n };
    const wait = secondsToNextUtcDay(now);
    return new QuotaTxPerDayError(`app '${appId}' used its quota of ${txPerDay} transactions for ${day} (UTC); retry in ${wait} s`, wait);
  }

  /** Gives back a reservation whose transactions the mempool did not accept. */
  async release(reservation: TxReservation): Promise<void> {
    await this.days.release(reservation.appId, reservation.day, reservation.n);
  }

  /** Transactions counted for `appId` on a UTC day (today by default). */
  async txCount(appId: string, day = utcDay(this.clock())): Promise<number> {
    return this.days.count(appId, day);
  }

  private sweep(now: number): void {
    for (const [appId, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(appId);
  }
}
