/** A tx this gateway admitted to the mempool, until it commits or leaves the mempool. */
export interface PendingTx {
  /** 0x + keccak256 of the raw bytes: the Ethereum tx hash. */
  readonly ethHash: string;
  /** The mempool's key (the chain suite's hash, hex). */
  readonly poolHash: string;
  /** 0x-address, lowercase. */
  readonly sender: string;
  readonly nonce: number;
  readonly raw: Uint8Array;
}

const MAX_TRACKED = 20_000;

/**
 * The txs admitted through this gateway and not known to have left the mempool. The mempool
 * exposes no per-sender view, so the `pending` nonce is the committed nonce advanced over this
 * sender's txs that this gateway admitted and the mempool still holds (txs gossiped from other
 * nodes are not seen). Entries are pruned lazily: whenever a sender is looked up, and by age when
 * the table is full.
 */
export class PendingTxs {
  private readonly byHash = new Map<string, PendingTx>();
  private readonly bySender = new Map<string, Map<number, PendingTx>>();

  add(tx: PendingTx): void {
    if (this.byHash.size >= MAX_TRACKED) this.remove(this.byHash.values().next().value!);
    this.byHash.set(tx.ethHash, tx);
    let nonces = this.bySender.get(tx.sender);
    if (!nonces) this.bySender.set(tx.sender, (nonces = new Map()));
    nonces.set(tx.nonce, tx);
  }

  get(ethHash: string): PendingTx | undefined {
    return this.byHash.get(ethHash);
  }

  remove(tx: PendingTx): void {
    this.byHash.delete(tx.ethHash);
    const nonces = this.bySender.get(tx.sender);
    if (nonces?.get(tx.nonce) === tx) nonces.delete(tx.nonce);
    if (nonces?.size === 0) this.bySender.delete(tx.sender);
  }

  /**
   * The next nonce of `sender` counting its pending txs: from `committed` on, while the mempool
   * still holds this sender's tx of that nonce. Drops what committed or left the mempool.
   */
  nextNonce(sender: string, committed: number, inMempool: (poolHash: string) => boolean): number {
    const nonces = this.bySender.get(sender.toLowerCase());
    if (!nonces) return committed;
    for (const tx of [...nonces.values()]) if (tx.nonce < committed || !inMempool(tx.poolHash)) this.remove(tx);
    let next = committed;
    while (nonces.has(next)) next++;
    return next;
  }
}
