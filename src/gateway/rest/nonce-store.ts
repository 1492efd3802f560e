import { AuthBusyError, AuthReplayError } from './errors.js';

/**
 * Nonces seen inside the timestamp window. A nonce must be remembered until its request's
 * timestamp leaves the window (timestamp + windowMs); after that the timestamp check alone rejects
 * a replay, so the entry can go. Entries expire in timestamp order, not arrival order, hence a
 * min-heap on expiry next to the set. At capacity, new requests are refused rather than live
 * nonces forgotten.
 */
export class NonceStore {
  private readonly expiries = new Map<string, number>();
  private readonly heap: { key: string; expiry: number }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('nonce capacity must be a positive integer');
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Records `key` until `expiry` (ms); throws AuthReplayError if it is still remembered, AuthBusyError when full. */
  add(key: string, expiry: number, now: number): void {
    this.evict(now);
    if (this.expiries.has(key)) throw new AuthReplayError('this nonce was already used inside the window');
    if (this.expiries.size >= this.capacity) throw new AuthBusyError('too many requests inside the replay window; try again shortly');
    this.expiries.set(key, expiry);
    this.push({ key, expiry });
  }

  private evict(now: number): void {
    while (this.heap.length > 0 && (this.heap[0] as { expiry: number }).expiry < now) {
      const top = this.pop();
      this.expiries.delete(top.key);
    }
  }

  private push(item: { key: string; expiry: number }): void {
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

  private pop(): { key: string; expiry: number } {
    const h = this.heap;
    const top = h[0] as { key: string; expiry: number };
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
