import type { ClassicLevel } from 'classic-level';
import { decode, encode, expectArray, expectString, expectUint } from '../../codec/index.js';
import { corruptIfCodec, decodeStoreMeta, encodeStoreMeta, META_KEY } from '../store-meta.js';
import { txExecuted, type TxResult } from '../application.js';
import type { WriteSet } from './root.js';

type Db = ClassicLevel<string, Uint8Array>;
type KvLevel = ReturnType<typeof kvLevel>;

function kvLevel(db: Db, chainId: string) {
  return db.sublevel<string, Uint8Array>(`kv:${chainId}`, { keyEncoding: 'utf8', valueEncoding: 'view' });
}

/*
 * Layout of one chain's kv state in its sublevel:
 *   meta          encode([1, height, stateRoot])   absent before initChain
 *   v/<hex key>   the value
 *   n/<address>   encode(next nonce)               absent means 0
 *   o/<hex key>   the owner's address (utf8)       set by the key's first write, never changed
 *   f/<height>    encode([[index, code, executed], ...])   the txs of that block that failed; absent when none did
 *                 (results are in the results root; this keeps them readable, for tx lookups)
 */
const valueKey = (hexKey: string) => `v/${hexKey}`;
const nonceKey = (address: string) => `n/${address}`;
const ownerKey = (hexKey: string) => `o/${hexKey}`;
const failuresKey = (height: number) => `f/${height}`;
/** Committed nonces kept in memory; the mempool rechecks every pending tx after each block. */
const NONCE_CACHE_LIMIT = 1 << 16;

/** The committed kv state of one chain. Writes happen only through `commit`, one synced batch each. */
export class KvStore {
  private readonly nonceCache = new Map<string, number>();
  /** Changes around every commit, so that a read overlapping one never caches a stale nonce. */
  private generation = 0;

  private constructor(
    private readonly db: Db,
    private readonly level: KvLevel,
    private meta: { height: number; stateRoot: Uint8Array } | undefined,
  ) {}

  static async open(db: Db, chainId: string): Promise<KvStore> {
    const level = kvLevel(db, chainId);
    const bytes = await level.get(META_KEY);
    return new KvStore(db, level, bytes === undefined ? undefined : decodeStoreMeta(bytes, 'kv'));
  }

  get initialized(): boolean {
    return this.meta !== undefined;
  }

  get height(): number {
    return this.meta?.height ?? 0;
  }

  get stateRoot(): Uint8Array {
    return this.meta?.stateRoot ?? new Uint8Array(0);
  }

  /** The owners of `hexKeys` (undefined for a key nobody has written since genesis). */
  async owners(hexKeys: readonly string[]): Promise<(string | undefined)[]> {
    if (hexKeys.length === 0) return [];
    const values = await this.level.getMany(hexKeys.map(ownerKey));
    return values.map((v) => (v === undefined ? undefined : Buffer.from(v).toString('utf8')));
  }

  async value(hexKey: string): Promise<Uint8Array | undefined> {
    return this.level.get(valueKey(hexKey));
  }

  /** The committed next nonce of each address, in order. */
  async nonces(addresses: readonly string[]): Promise<number[]> {
    for (;;) {
      const generation = this.generation;
      const known = new Map<string, number>();
      const missing: string[] = [];
      for (const a of new Set(addresses)) {
        const n = this.nonceCache.get(a);
        if (n === undefined) missing.push(a);
        else known.set(a, n);
      }
      if (missing.length > 0) {
        const values = await this.level.getMany(missing.map(nonceKey));
        if (generation !== this.generation) continue; // a commit landed during the read
        missing.forEach((a, i) => {
          const n = decodeNonce(values[i]);
          known.set(a, n);
          this.cacheNonce(a, n);
        });
      }
      return addresses.map((a) => known.get(a)!);
    }
  }

  /** Persists one height's write set with its root, durably, in one batch. */
  async commit(height: number, stateRoot: Uint8Array, ws: WriteSet, results: readonly TxResult[] = []): Promise<void> {
    type Op = { type: 'put'; sublevel: KvLevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: KvLevel; key: string };
    const ops: Op[] = [];
    for (const [k, v] of ws.writes) {
      ops.push(v === null ? { type: 'del', sublevel: this.level, key: valueKey(k) } : { type: 'put', sublevel: this.level, key: valueKey(k), value: v });
    }
    for (const [a, n] of ws.nonces) ops.push({ type: 'put', sublevel: this.level, key: nonceKey(a), value: encode(n) });
    for (const [k, owner] of ws.owners) ops.push({ type: 'put', sublevel: this.level, key: ownerKey(k), value: Buffer.from(owner, 'utf8') });
    const failed = results.flatMap((r, index) => (r.ok ? [] : [[index, r.code, txExecuted(r)]]));
    if (failed.length > 0) ops.push({ type: 'put', sublevel: this.level, key: failuresKey(height), value: encode(failed) });
    ops.push({ type: 'put', sublevel: this.level, key: META_KEY, value: encodeStoreMeta({ height, stateRoot }) });
    // Bumped on both sides of the write: a read that overlaps it in any way is retried.
    this.generation++;
    // Not synced: the block is already in the (synced) block store, and a node that loses this
    // write in a power cut replays the block at start (docs/execution.md, 'Crash recovery').
    await this.db.batch(ops, { sync: false });
    this.meta = { height, stateRoot };
    for (const [a, n] of ws.nonces) this.cacheNonce(a, n);
    this.generation++;
  }

  /** The result of each tx of committed block `height` that failed, by its index. */
  async failures(height: number): Promise<Map<number, { code: string; executed: boolean }>> {
    const bytes = await this.level.get(failuresKey(height));
    if (bytes === undefined) return new Map();
    return corruptIfCodec('kv failures', () => {
      return new Map(
        expectArray(decode(bytes), 'failures').map((entry, i) => {
          const [index, code, executed] = expectArray(entry, `failures[${i}]`, 3);
          return [expectUint(index, `failures[${i}][0]`), { code: expectString(code, `failures[${i}][1]`), executed: executed === true }] as const;
        }),
      );
    });
  }

  private cacheNonce(address: string, nonce: number): void {
    if (this.nonceCache.size >= NONCE_CACHE_LIMIT && !this.nonceCache.has(address)) this.nonceCache.clear();
    this.nonceCache.set(address, nonce);
  }
}

function decodeNonce(bytes: Uint8Array | undefined): number {
  return bytes === undefined ? 0 : corruptIfCodec('kv nonce', () => expectUint(decode(bytes), 'nonce'));
}
