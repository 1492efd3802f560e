import type { ClassicLevel } from 'classic-level';
import { decode, encode, expectArray, expectBigUint, expectBytes, expectUint } from '../../codec/index.js';
import { StateCorruptError } from '../errors.js';
import { corruptIfCodec as corruptStore, decodeStoreMeta, encodeStoreMeta, META_KEY } from '../store-meta.js';
import { bytesU256, u256Bytes } from './u256.js';
import type { AccountRecord, CommittedState, EvmWriteSet } from './overlay.js';

type Db = ClassicLevel<string, Uint8Array>;
type EvmLevel = ReturnType<typeof evmLevel>;

function evmLevel(db: Db, chainId: string) {
  return db.sublevel<string, Uint8Array>(`evm:${chainId}`, { keyEncoding: 'utf8', valueEncoding: 'view' });
}

/*
 * Layout of one chain's EVM state in its sublevel (hex is lowercase, no 0x):
 *   meta                    encode([1, height, stateRoot])          absent before initChain
 *   a/<address>             encode([1, nonce, balance, codeHash])   absent: no account
 *   s/<address><slot>       the value, no leading zeros             absent: zero
 *   c/<codeHash>            the code (content-addressed, never deleted)
 *   r/<txHash>              encode(receipt map), see receipts.ts
 *   b/<height, 12 hex>      encode(block record map), see receipts.ts
 */
const ACCOUNT_VERSION = 1;
export const accountKey = (address: string) => `a/${address}`;
export const storageKey = (address: string, slot: string) => `s/${address}${slot}`;
export const codeKey = (hash: string) => `c/${hash}`;
export const receiptKey = (txHash: string) => `r/${txHash}`;
export const blockKey = (height: number) => `b/${height.toString(16).padStart(12, '0')}`;
/** Entries of each committed-state cache; on overflow the cache starts over (cheap, and rare). */
const CACHE_LIMIT = 1 << 18;

export interface CommitExtras {
  /** Receipts (r/…) and the block record (b/…), already encoded, written in the same batch. */
  readonly records: ReadonlyMap<string, Uint8Array>;
}

/** The committed EVM state of one chain with read caches; writes happen only through `commit`. */
export class EvmStore implements CommittedState {
  private readonly accounts = new Map<string, AccountRecord | null>();
  private readonly slots = new Map<string, Uint8Array | null>();
  private readonly codes = new Map<string, Uint8Array>();
  /** Changes around every commit, so that a read overlapping one never caches a stale value. */
  private generation = 0;

  private constructor(
    private readonly db: Db,
    readonly level: EvmLevel,
    private meta: { height: number; stateRoot: Uint8Array } | undefined,
  ) {}

  static async open(db: Db, chainId: string): Promise<EvmStore> {
    const level = evmLevel(db, chainId);
    const bytes = await level.get(META_KEY);
    return new EvmStore(db, level, bytes === undefined ? undefined : decodeStoreMeta(bytes, 'evm'));
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

  async account(address: string): Promise<AccountRecord | null> {
    const cached = this.accounts.get(address);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const bytes = await this.level.get(accountKey(address));
    const record = bytes === undefined ? null : decodeAccount(bytes);
    if (generation === this.generation) cacheSet(this.accounts, address, record);
    return record;
  }

  /** Loads accounts into the cache in one LevelDB round trip (the senders and recipients of a block). */
  async prefetchAccounts(addresses: Iterable<string>): Promise<void> {
    const missing = [...new Set(addresses)].filter((a) => !this.accounts.has(a));
    if (missing.length === 0) return;
    const generation = this.generation;
    const values = await this.level.getMany(missing.map(accountKey));
    if (generation !== this.generation) return;
    missing.forEach((a, i) => cacheSet(this.accounts, a, values[i] === undefined ? null : decodeAccount(values[i]!)));
  }

  async storage(address: string, slot: string): Promise<Uint8Array | null> {
    const key = address + slot;
    const cached = this.slots.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = (await this.level.get(storageKey(address, slot))) ?? null;
    if (generation === this.generation) cacheSet(this.slots, key, value);
    return value;
  }

  async code(hash: string): Promise<Uint8Array | null> {
    const cached = this.codes.get(hash);
    if (cached !== undefined) return cached;
    const code = (await this.level.get(codeKey(hash))) ?? null;
    if (code !== null) cacheSet(this.codes, hash, code);
    return code;
  }

  async record(key: string): Promise<Uint8Array | undefined> {
    return this.level.get(key);
  }

  /** Persists one height's write set, its records and its root, durably, in one batch. */
  async commit(height: number, stateRoot: Uint8Array, ws: EvmWriteSet, extras: CommitExtras): Promise<void> {
    const ops = await this.batchOps(ws, extras);
    ops.push({ type: 'put', sublevel: this.level, key: META_KEY, value: encodeStoreMeta({ height, stateRoot }) });
    // Bumped on both sides of the write: a read that overlaps it in any way does not cache.
    this.generation++;
    // Not synced: the block is already in the (synced) block store, and a node that loses this
    // write in a power cut replays the block at start (docs/execution.md, 'Crash recovery').
    await this.db.batch(ops, { sync: false });
    this.meta = { height, stateRoot };
    this.updateCaches(ws);
    this.generation++;
  }

  private async batchOps(ws: EvmWriteSet, extras: CommitExtras): Promise<Op[]> {
    const ops: Op[] = [];
    const put = (key: string, value: Uint8Array) => ops.push({ type: 'put', sublevel: this.level, key, value });
    const del = (key: string) => ops.push({ type: 'del', sublevel: this.level, key });
    for (const [a, r] of ws.accounts) {
      if (r === null) del(accountKey(a));
      else put(accountKey(a), encodeAccount(r));
    }
    for (const [a, changes] of ws.storage) {
      if (changes.cleared) for await (const key of this.level.keys({ gte: storageKey(a, ''), lt: storageKey(a, 'g') })) del(key);
      for (const [slot, v] of changes.slots) {
        if (v === null) del(storageKey(a, slot));
        else put(storageKey(a, slot), v);
      }
    }
    for (const [hash, code] of ws.code) put(codeKey(hash), code);
    for (const [key, value] of extras.records) put(key, value);
    return ops;
  }

  private updateCaches(ws: EvmWriteSet): void {
    for (const [a, r] of ws.accounts) cacheSet(this.accounts, a, r);
    for (const [a, changes] of ws.storage) {
      if (changes.cleared) for (const key of this.slots.keys()) if (key.startsWith(a)) this.slots.delete(key);
      for (const [slot, v] of changes.slots) cacheSet(this.slots, a + slot, v);
    }
    for (const [hash, code] of ws.code) cacheSet(this.codes, hash, code);
  }
}

type Op = { type: 'put'; sublevel: EvmLevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: EvmLevel; key: string };

function cacheSet<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT && !cache.has(key)) cache.clear();
  cache.set(key, value);
}

export function encodeAccount(r: AccountRecord): Uint8Array {
  return encode([ACCOUNT_VERSION, r.nonce, u256Bytes(r.balance), r.codeHash]);
}

export function decodeAccount(bytes: Uint8Array): AccountRecord {
  return corruptIfCodec('account', () => {
    const [version, nonce, balance, codeHash] = expectArray(decode(bytes), 'account', 4);
    if (expectUint(version, 'account.version') !== ACCOUNT_VERSION) throw new StateCorruptError('unknown account version');
    return { nonce: expectBigUint(nonce, 'account.nonce'), balance: bytesU256(expectBytes(balance, 'account.balance')), codeHash: expectBytes(codeHash, 'account.codeHash', 32) };
  });
}

/** A decoder of stored EVM bytes ('receipt', 'block', ...); a codec failure there means a damaged store. */
export function corruptIfCodec<T>(what: string, fn: () => T): T {
  return corruptStore(`evm ${what}`, fn);
}
