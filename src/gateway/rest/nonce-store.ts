import { AuthBusyError, AuthNonceQuotaError, AuthReplayError } from './errors.js';

/** Where the nonces that could outlive a restart are kept (src/gateway/rest/nonce-journal.ts). */
export interface NonceJournal {
  /** The entries still live at `now`. */
  load(now: number): Promise<readonly { readonly key: string; readonly expiry: number }[]>;
  record(key: string, expiry: number): Promise<void>;
}

/**
 * Nonces seen inside the timestamp window. A nonce must be remembered until its request's
 * timestamp leaves the window (timestamp + windowMs); after that the timestamp check alone rejects
 * a replay, so the entry can go. Entries expire in timestamp order, not arrival order, hence a
 * min-heap on expiry next to the set. At capacity, new requests are refused rather than live
 * nonces forgotten. Each owner (certificate) may hold at most `perOwner` of them, so one
 * certificate cannot lock every other caller out (M4).
 */
export class NonceStore {
  private readonly expiries = new Map<string, number>();
  private readonly heap: { key: string; owner: string; expiry: number }[] = [];
  private readonly owners = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly perOwner: number = capacity,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('nonce capacity must be a positive integer');
    if (!Number.isSafeInteger(perOwner) || perOwner < 1) throw new RangeError('nonces per owner must be a positive integer');
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Nonces `owner` holds now. */
  heldBy(owner: string): number {
    return this.owners.get(owner) ?? 0;
  }

  /**
   * Records `key` of `owner` until `expiry` (ms); throws AuthReplayError if it is still
   * remembered, AuthNonceQuotaError when the owner holds its share, AuthBusyError when full.
   */
  add(owner: string, key: string, expiry: number, now: number): void {
    this.evict(now);
    if (this.expiries.has(key)) throw new AuthReplayError('this nonce was already used inside the window');
    if (this.heldBy(owner) >= this.perOwner) throw new AuthNonceQuotaError(`this certificate has ${this.perOwner} requests inside the replay window; slow down`);
    if (this.expiries.size >= this.capacity) throw new AuthBusyError('too many requests inside the replay window; try again shortly');
    this.insert(owner, key, expiry);
  }

  /** Puts back a nonce an earlier run recorded (its key starts with the owner, up to ':'), over any limit. */
  restore(key: string, expiry: number, now: number): void {
    if (expiry < now || this.expiries.has(key)) return;
    this.insert(key.split(':')[0] ?? key, key, expiry);
  }

  private insert(owner: string, key: string, expiry: number): void {
    this.expiries.set(key, expiry);
    this.owners.set(owner, this.heldBy(owner) + 1);
    this.push({ key, owner, expiry });
  }

  private evict(now: number): void {
    while (this.heap.length > 0 && (this.heap[0] as { expiry: number }).expiry < now) {
      const top = this.pop();
      this.expiries.delete(top.key);
      const held = this.heldBy(top.owner) - 1;
      if (held > 0) this.owners.set(top.owner, held);
      else this.owners.delete(top.owner);
    }
  }

  private push(item: { key: string; owner: string; expiry: number }): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as typeof item).expiry <= item.expiry) break;
      h[i] = h[parent] as typeof item;
      i = parent;
    }
    h[i] = item;
  }

  private pop(): { key: string; owner: string; expiry: number } {
    const h = this.heap;
    const top = h[0] as { key: string; owner: string; expiry: number };
    const last = h.pop() as typeof top;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && (h[r] as typeof top).expiry < (h[l] as typeof top).expiry ? r : l;
      if ((h[child] as typeof top).expiry >= last.expiry) break;
      h[i] = h[child] as typeof top;
      i = child;
    }
    h[i] = last;
    return top;
  }
}
