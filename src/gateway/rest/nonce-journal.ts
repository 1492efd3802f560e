import type { GatewaySublevel } from '../store.js';
import type { NonceJournal } from './nonce-store.js';

/*
 * The nonces of future-dated requests, in the gateway store's `nonces` sublevel, so that a
 * restart does not forget them (M5). Keys are `<expiry, 15 digits>/<nonce key>`: expired entries
 * are one range at the front, deleted at load. Requests dated before the gateway started are
 * refused by the timestamp check, so only the few dated ahead of the gateway's clock need this.
 */

const width = 15;
const pad = (ms: number): string => String(Math.max(0, Math.floor(ms))).padStart(width, '0');

/** Records between two sweeps of the expired entries of a running gateway. */
const SWEEP_EVERY = 1000;

export class StoreNonceJournal implements NonceJournal {
  private writes = 0;

  constructor(
    private readonly db: GatewaySublevel,
    private readonly clock: () => number = Date.now,
  ) {}

  async load(now: number): Promise<readonly { key: string; expiry: number }[]> {
    await this.db.clear({ lt: `${pad(now)}/` });
    const out: { key: string; expiry: number }[] = [];
    for await (const key of this.db.keys()) {
      const slash = key.indexOf('/');
      const expiry = Number(key.slice(0, slash));
      if (slash === width && Number.isSafeInteger(expiry)) out.push({ key: key.slice(slash + 1), expiry });
    }
    return out;
  }

  async record(key: string, expiry: number): Promise<void> {
    await this.db.put(`${pad(expiry)}/${key}`, '');
    if (++this.writes % SWEEP_EVERY === 0) await this.db.clear({ lt: `${pad(this.clock())}/` });
  }
}
