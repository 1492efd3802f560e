import type { GatewaySublevel } from '../store.js';

/*
 * Transactions accepted per app per UTC day, kept in the gateway store (sublevel 'quota', key
 * `<appId>/<YYYY-MM-DD>`, value the count in decimal) so that a restart does not hand out a new
 * day's worth. Every change is written before it is acted on; the operations of one app run one
 * at a time, so concurrent requests cannot both take the last transaction.
 */
export class TxDayCounter {
  private readonly counts = new Map<string, { day: string; count: number }>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly db: GatewaySublevel) {}

  /** Counts `n` transactions of `appId` on `day` if that keeps the day within `limit`; false (nothing counted) otherwise. */
  reserve(appId: string, day: string, n: number, limit: number): Promise<boolean> {
    return this.serial(appId, async () => {
      const count = await this.load(appId, day);
      if (count + n > limit) return false;
      await this.save(appId, day, count + n);
      return true;
    });
  }

  /** Gives back `n` transactions counted on `day` that were not accepted after all. */
  release(appId: string, day: string, n: number): Promise<void> {
    return this.serial(appId, async () => {
      const count = await this.load(appId, day);
      await this.save(appId, day, Math.max(0, count - n));
    });
  }

  /** The count of `appId` on `day`. */
  count(appId: string, day: string): Promise<number> {
    return this.serial(appId, () => this.load(appId, day));
  }

  private async load(appId: string, day: string): Promise<number> {
    const cached = this.counts.get(appId);
    if (cached?.day === day) return cached.count;
    const stored = await this.db.get(`${appId}/${day}`);
    const count = stored === undefined ? 0 : Number.parseInt(stored, 10);
    return Number.isSafeInteger(count) && count >= 0 ? count : 0;
  }

  private async save(appId: string, day: string, count: number): Promise<void> {
    await this.db.put(`${appId}/${day}`, String(count));
    this.counts.set(appId, { day, count });
  }

  private serial<T>(appId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(appId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(appId, settled);
    // Drop the queue entry once idle so that app ids do not accumulate.
    void settled.then(() => {
      if (this.queues.get(appId) === settled) this.queues.delete(appId);
    });
    return next;
  }
}
