import { Address } from '@ethereumjs/util';

/*
 * Senders this node's own checks recovered, by tx hash (keccak256 of the exact bytes). Only
 * verified recoveries go in, so a hit is as good as recovering again: executeBlock and checkTx
 * skip libsecp256k1 for every tx that came through this node's mempool or worker pool.
 */

const LIMIT = 1 << 17;

export class SenderCache {
  private readonly map = new Map<string, Address>();

  get(hashHex: string): Address | undefined {
    return this.map.get(hashHex);
  }

  /** `sender` as an Address or its 0x hex (a verdict's `sender`). */
  set(hashHex: string, sender: Address | string): void {
    // Starting over on overflow is cheap and rare; a miss only costs a recovery.
    if (this.map.size >= LIMIT && !this.map.has(hashHex)) this.map.clear();
    this.map.set(hashHex, typeof sender === 'string' ? new Address(Uint8Array.from(Buffer.from(sender.slice(2), 'hex'))) : sender);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * Decoded and checked txs by hash. The mempool's checkTx, its recheck after every block, the
 * proposal and the execution of a block all see the same bytes; decoding them with EthereumJS
 * (RLP, then the tx object, then the canonical re-serialization check) cost about a tenth of a
 * validator's time at saturation (docs/evm.md, "Profile"), so it happens once per tx. Entries are
 * frozen EthereumJS txs, never mutated after the check.
 */
export class CheckedTxCache<T> {
  private readonly map = new Map<string, T>();

  constructor(private readonly limit = 1 << 14) {}

  get(hashHex: string): T | undefined {
    return this.map.get(hashHex);
  }

  set(hashHex: string, value: T): void {
    if (this.map.size >= this.limit && !this.map.has(hashHex)) this.map.clear();
    this.map.set(hashHex, value);
  }
}
