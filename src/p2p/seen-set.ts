/**
 * Which peers already have which transaction, for at most `capacity` transactions: the oldest is
 * forgotten first. Forgetting only costs a redundant send, which the receiver's mempool rejects as
 * a duplicate, so the bound can be small.
 */
export class SeenSet {
  private readonly entries = new Map<string, Set<string>>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Notes that `peer` has `key`; returns true when the key was new to this node. */
  record(key: string, peer: string | undefined): boolean {
    let peers = this.entries.get(key);
    const fresh = peers === undefined;
    if (!peers) {
      peers = new Set();
      this.entries.set(key, peers);
      this.evict();
    }
    if (peer !== undefined) peers.add(peer);
    return fresh;
  }

  has(key: string, peer: string): boolean {
    return this.entries.get(key)?.has(peer) ?? false;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
