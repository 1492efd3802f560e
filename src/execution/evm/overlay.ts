import { KECCAK256_NULL } from '@ethereumjs/util';

/*
 * The changes of one candidate block over committed state, in memory. Keys are lowercase hex
 * without 0x: addresses 40 digits, storage slots 64, code hashes 64. Storage is grouped per
 * account so that wiping an account's storage (deleteAccount, re-creation) is O(1).
 */

/** What the flat state keeps per account; there is no storage root (see docs/evm.md). */
export interface AccountRecord {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
}

export const EMPTY_CODE_HASH: Uint8Array = KECCAK256_NULL;

/** A read of committed state; the overlay falls through to it. */
export interface CommittedState {
  account(address: string): Promise<AccountRecord | null>;
  storage(address: string, slot: string): Promise<Uint8Array | null>;
  code(hash: string): Promise<Uint8Array | null>;
}

export interface StorageChanges {
  /** True when the account's committed storage was wiped before `slots` were written. */
  cleared: boolean;
  /** Slot → value (no leading zeros), or null for zero. */
  readonly slots: Map<string, Uint8Array | null>;
}

/** The write set of a block: final values only, what commit persists and the state root hashes. */
export interface EvmWriteSet {
  readonly accounts: ReadonlyMap<string, AccountRecord | null>;
  readonly storage: ReadonlyMap<string, StorageChanges>;
  readonly code: ReadonlyMap<string, Uint8Array>;
}

type Undo =
  | { readonly kind: 'account'; readonly key: string; readonly prev: AccountRecord | null | undefined }
  | { readonly kind: 'slot'; readonly address: string; readonly slot: string; readonly prev: Uint8Array | null | undefined }
  | { readonly kind: 'storage'; readonly address: string; readonly prev: StorageChanges | undefined };

/**
 * A candidate block's state over committed state, with the checkpoint journal the EVM drives
 * (one checkpoint per tx and per call frame). Undo entries are recorded only while a checkpoint
 * is open, so a block's steady state costs nothing to journal.
 */
export class Overlay implements EvmWriteSet {
  readonly accounts = new Map<string, AccountRecord | null>();
  readonly storage = new Map<string, StorageChanges>();
  readonly code = new Map<string, Uint8Array>();
  private readonly undo: Undo[] = [];
  private readonly marks: number[] = [];

  constructor(readonly committed: CommittedState) {}

  async getAccount(address: string): Promise<AccountRecord | null> {
    const own = this.accounts.get(address);
    return own !== undefined ? own : this.committed.account(address);
  }

  putAccount(address: string, record: AccountRecord | null): void {
    if (this.marks.length > 0) this.undo.push({ kind: 'account', key: address, prev: this.accounts.get(address) });
    this.accounts.set(address, record);
  }

  async getStorage(address: string, slot: string): Promise<Uint8Array | null> {
    const changes = this.storage.get(address);
    if (changes !== undefined) {
      const own = changes.slots.get(slot);
      if (own !== undefined) return own;
      if (changes.cleared) return null;
    }
    return this.committed.storage(address, slot);
  }

  putStorage(address: string, slot: string, value: Uint8Array | null): void {
    let changes = this.storage.get(address);
    if (changes === undefined) {
      if (this.marks.length > 0) this.undo.push({ kind: 'storage', address, prev: undefined });
      changes = { cleared: false, slots: new Map() };
      this.storage.set(address, changes);
    }
    if (this.marks.length > 0) this.undo.push({ kind: 'slot', address, slot, prev: changes.slots.get(slot) });
    changes.slots.set(slot, value);
  }

  /** Wipes the account's storage: committed slots read as zero from now on. */
  clearStorage(address: string): void {
    if (this.marks.length > 0) this.undo.push({ kind: 'storage', address, prev: this.storage.get(address) });
    this.storage.set(address, { cleared: true, slots: new Map() });
  }

  async getCode(hash: string): Promise<Uint8Array | null> {
    return this.code.get(hash) ?? this.committed.code(hash);
  }

  /** Code is content-addressed and never removed, so it needs no undo. */
  putCode(hash: string, code: Uint8Array): void {
    this.code.set(hash, code);
  }

  checkpoint(): void {
    this.marks.push(this.undo.length);
  }

  commit(): void {
    this.marks.pop();
    // Nothing can revert past the outermost checkpoint: its undo entries are dead.
    if (this.marks.length === 0) this.undo.length = 0;
  }

  revert(): void {
    const mark = this.marks.pop() ?? 0;
    for (let i = this.undo.length - 1; i >= mark; i--) this.apply(this.undo[i]!);
    this.undo.length = mark;
  }

  private apply(u: Undo): void {
    if (u.kind === 'account') {
      if (u.prev === undefined) this.accounts.delete(u.key);
      else this.accounts.set(u.key, u.prev);
    } else if (u.kind === 'storage') {
      if (u.prev === undefined) this.storage.delete(u.address);
      else this.storage.set(u.address, u.prev);
    } else {
      const slots = this.storage.get(u.address)?.slots;
      if (slots === undefined) return;
      if (u.prev === undefined) slots.delete(u.slot);
      else slots.set(u.slot, u.prev);
    }
  }
}
