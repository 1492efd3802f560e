import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { OriginalStorageCache } from '@ethereumjs/statemanager';
import { Account, KECCAK256_RLP, type Address } from '@ethereumjs/util';
import { keccak256 } from '../../crypto/index.js';
import { StateCorruptError } from '../errors.js';
import { EMPTY_CODE_HASH, type Overlay } from './overlay.js';

/*
 * EthereumJS's StateManagerInterface over a flat overlay (see overlay.ts) instead of a
 * Merkle-Patricia trie: a read is a Map lookup, then a cache or LevelDB get; a write is a Map set.
 * No trie is touched per tx; the state commitment is computed once per block over the write set
 * (root.ts). The methods below are the ones @ethereumjs/vm 10 and evm 10 call on the runTx path;
 * state-root methods exist only to satisfy the interface.
 */

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const addressKey = (address: Address): string => hexOf(address.bytes);

function unpad(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return i === 0 ? value : value.subarray(i);
}

export class FlatStateManager implements StateManagerInterface {
  readonly originalStorageCache: OriginalStorageCache;
  private current: Overlay | undefined;

  constructor() {
    this.originalStorageCache = new OriginalStorageCache((address, key) => this.getStorage(address, key));
  }

  /** Points the VM at a candidate's overlay; execution of one candidate at a time. */
  use(overlay: Overlay): void {
    this.current = overlay;
    this.originalStorageCache.clear();
  }

  private get overlay(): Overlay {
    if (this.current === undefined) throw new StateCorruptError('FlatStateManager used without an overlay');
    return this.current;
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const r = await this.overlay.getAccount(addressKey(address));
    // A fresh object each time: the VM mutates what it gets before putting it back.
    return r === null ? undefined : new Account(r.nonce, r.balance, KECCAK256_RLP, r.codeHash);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    this.overlay.putAccount(addressKey(address), { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash });
  }

  async deleteAccount(address: Address): Promise<void> {
    const key = addressKey(address);
    // The EVM deletes every touched empty account after each tx (EIP-161); most never existed.
    if ((await this.overlay.getAccount(key)) === null) return;
    this.overlay.putAccount(key, null);
    this.overlay.clearStorage(key);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const codeHash = value.length === 0 ? EMPTY_CODE_HASH : keccak256(value);
    if (value.length > 0) this.overlay.putCode(hexOf(codeHash), value);
    await this.modifyAccountFields(address, { codeHash });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const r = await this.overlay.getAccount(addressKey(address));
    if (r === null || Buffer.compare(r.codeHash, EMPTY_CODE_HASH) === 0) return new Uint8Array(0);
    const code = await this.overlay.getCode(hexOf(r.codeHash));
    if (code === null) throw new StateCorruptError(`missing code ${hexOf(r.codeHash)} of ${address.toString()}`);
    return code;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return (await this.overlay.getStorage(addressKey(address), hexOf(key))) ?? new Uint8Array(0);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const v = unpad(value);
    this.overlay.putStorage(addressKey(address), hexOf(key), v.length === 0 ? null : Uint8Array.from(v));
  }

  async clearStorage(address: Address): Promise<void> {
    this.overlay.clearStorage(addressKey(address));
  }

  async checkpoint(): Promise<void> {
    this.overlay.checkpoint();
  }

  async commit(): Promise<void> {
    this.overlay.commit();
  }

  async revert(): Promise<void> {
    this.overlay.revert();
  }

  // --- Not on the execution path: the commitment is per block, in root.ts -------------------
  async getStateRoot(): Promise<Uint8Array> {
    throw new StateCorruptError('the flat EVM state has no Ethereum state root; see docs/evm.md');
  }

  async setStateRoot(): Promise<void> {
    throw new StateCorruptError('the flat EVM state cannot be reset to a state root');
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {
    this.originalStorageCache.clear();
  }

  shallowCopy(): StateManagerInterface {
    const copy = new FlatStateManager();
    if (this.current !== undefined) copy.use(this.current);
    return copy;
  }
}
