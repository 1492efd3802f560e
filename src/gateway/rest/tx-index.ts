import { decodeBlock, headerHash } from '../../chain/index.js';
import type { HostedChain } from '../../node/index.js';
import type { GatewaySublevel } from '../store.js';

/*
 * Where each transaction of a kv app chain sits (height, index), by the hash clients know (the
 * chain suite's hash of the tx bytes). The kv state machine keeps no receipts, so the gateway
 * indexes committed blocks itself, in its store (`txindex` sublevel: `<app>/t/<hash>` →
 * `height:index`, `<app>/at` → the last indexed height and its header hash). It catches up
 * lazily, when a lookup misses; if the chain under it was replaced (the header hash at the indexed
 * height differs), it starts again.
 */

const BATCH_BLOCKS = 256;

interface IndexedAt {
  readonly height: number;
  readonly hash: string;
}

export interface TxPosition {
  readonly height: number;
  readonly index: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class KvTxIndex {
  private catchingUp: Promise<void> | undefined;

  constructor(
    private readonly db: GatewaySublevel,
    private readonly appId: string,
    private readonly chain: HostedChain,
  ) {}

  /** The committed position of a tx, or undefined when no block up to the head holds it. */
  async find(hash: Uint8Array): Promise<TxPosition | undefined> {
    const hit = await this.lookup(hash);
    if (hit) return hit;
    // One catch-up at a time; lookups that missed meanwhile wait for it and look again.
    this.catchingUp ??= this.catchUp().finally(() => (this.catchingUp = undefined));
    await this.catchingUp;
    return this.lookup(hash);
  }

  private async lookup(hash: Uint8Array): Promise<TxPosition | undefined> {
    const value = await this.db.get(`${this.appId}/t/${hex(hash)}`);
    if (value === undefined) return undefined;
    const [height, index] = value.split(':').map(Number) as [number, number];
    return { height, index };
  }

  private async catchUp(): Promise<void> {
    let at = await this.indexedAt();
    const head = this.chain.store.height;
    while (at.height < head) {
      const to = Math.min(head, at.height + BATCH_BLOCKS);
      const ops: { type: 'put'; key: string; value: string }[] = [];
      for (let height = at.height + 1; height <= to; height++) {
        const bytes = await this.chain.store.block(height);
        if (!bytes) return;
        const block = decodeBlock(bytes);
        block.txs.forEach((tx, index) => ops.push({ type: 'put', key: `${this.appId}/t/${hex(this.chain.genesis.suite.hash(tx))}`, value: `${height}:${index}` }));
        at = { height, hash: hex(headerHash(this.chain.genesis.suite, block.header)) };
      }
      ops.push({ type: 'put', key: `${this.appId}/at`, value: JSON.stringify(at) });
      await this.db.batch(ops);
    }
  }

  /** The last indexed height, after checking that it is still this chain's block. */
  private async indexedAt(): Promise<IndexedAt> {
    const text = await this.db.get(`${this.appId}/at`);
    if (text === undefined) return { height: 0, hash: '' };
    const at = JSON.parse(text) as IndexedAt;
    const bytes = at.height <= this.chain.store.height ? await this.chain.store.block(at.height) : undefined;
    if (bytes && hex(headerHash(this.chain.genesis.suite, decodeBlock(bytes).header)) === at.hash) return at;
    await this.db.clear({ gte: `${this.appId}/`, lt: `${this.appId}0` });
    return { height: 0, hash: '' };
  }
}
