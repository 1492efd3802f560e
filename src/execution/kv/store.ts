import type { ClassicLevel } from 'classic-level';
import { CodecError, decode, encode, expectArray, expectBytes, expectUint } from '../../codec/index.js';
import { StateCorruptError } from '../errors.js';
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
 */
const META = 'meta';
const META_VERSION = 1;
const valueKey = (hexKey: string) => `v/${hexKey}`;
const nonceKey = (address: string) => `n/${address}`;
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
    const bytes = await level.get(META);
    return new KvStore(db, level, bytes === undefined ? undefined : decodeMeta(bytes));
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
  async commit(height: number, stateRoot: Uint8Array, ws: WriteSet): Promise<void> {
    type Op = { type: 'put'; sublevel: KvLevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: KvLevel; key: string };
    const ops: Op[] = [];
    for (const [k, v] of ws.writes) {
      ops.push(v === null ? { type: 'del', sublevel: this.level, key: valueKey(k) } : { type: 'put', sublevel: this.level, key: valueKey(k), value: v });
    }
    for (const [a, n] of ws.nonces) ops.push({ type: 'put', sublevel: this.level, key: nonceKey(a), value: encode(n) });
    ops.push({ type: 'put', sublevel: this.level, key: META, value: encode([META_VERSION, height, stateRoot]) });
    // Bumped on both sides of the write: a read that overlaps it in any way is retried.
    this.generation++;
    // Not synced: the block is already in the (synced) block store, and a node that loses this
    // write in a power cut replays the block at start (docs/execution.md, 'Crash recovery').
    await this.db.batch(ops, { sync: false });
    this.meta = { height, stateRoot };
    for (const [a, n] of ws.nonces) this.cacheNonce(a, n);
    this.generation++;
  }

  private cacheNonce(address: string, nonce: number): void {
    if (this.nonceCache.size >= NONCE_CACHE_LIMIT && !this.nonceCache.has(address)) this.nonceCache.clear();
    this.nonceCache.set(address, nonce);
  }
}

function decodeMeta(bytes: Uint8Array): { height: number; stateRoot: Uint8Array } {
  try {
    const [version, height, root] = expectArray(decode(bytes), 'meta', 3);
    if (expectUint(version, 'meta.version') !== META_VERSION) throw new StateCorruptError('unknown kv meta version');
    return { height: expectUint(height, 'meta.height'), stateRoot: expectBytes(root, 'meta.stateRoot') };
  } catch (cause) {
    if (cause instanceof CodecError) throw new StateCorruptError(`kv meta: ${cause.message}`, { cause });
    throw cause;
  }
}

function decodeNonce(bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return 0;
  try {
    return expectUint(decode(bytes), 'nonce');
  } catch (cause) {
    if (cause instanceof CodecError) throw new StateCorruptError(`kv nonce: ${cause.message}`, { cause });
    throw cause;
  }
}
