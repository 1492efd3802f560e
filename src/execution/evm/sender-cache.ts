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
