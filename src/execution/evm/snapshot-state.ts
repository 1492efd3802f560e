import { ChainStateError } from '../errors.js';
import { decodeStoreMeta, META_KEY } from '../store-meta.js';
import type { AccountRecord, CommittedState } from './overlay.js';
import { accountKey, codeKey, decodeAccount, storageKey, type EvmStore } from './store.js';

type Snapshot = ReturnType<EvmStore['level']['snapshot']>;

/**
 * The committed EVM state as one LevelDB snapshot saw it: every read of a call, however long it
 * runs and however many heights commit meanwhile, sees one height. The height is read from the
 * snapshot's own meta record, so it is exactly the state's height (EvmStore.height changes only
 * after the commit batch is written, so it could lag a snapshot taken during that write).
 * Reads bypass EvmStore's caches, which follow the latest height. close() frees the snapshot.
 */
export class EvmStateSnapshot implements CommittedState {
  private constructor(
    private readonly level: EvmStore['level'],
    private readonly snapshot: Snapshot,
    readonly height: number,
  ) {}

  static async open(store: EvmStore): Promise<EvmStateSnapshot> {
    const snapshot = store.level.snapshot();
    try {
      const meta = await store.level.get(META_KEY, { snapshot });
      if (meta === undefined) throw new ChainStateError('the EVM chain has no genesis state yet; call initChain first');
      return new EvmStateSnapshot(store.level, snapshot, decodeStoreMeta(meta, 'evm').height);
    } catch (err) {
      await snapshot.close();
      throw err;
    }
  }

  async account(address: string): Promise<AccountRecord | null> {
    const bytes = await this.level.get(accountKey(address), { snapshot: this.snapshot });
    return bytes === undefined ? null : decodeAccount(bytes);
  }

  async storage(address: string, slot: string): Promise<Uint8Array | null> {
    return (await this.level.get(storageKey(address, slot), { snapshot: this.snapshot })) ?? null;
  }

  async code(hash: string): Promise<Uint8Array | null> {
    return (await this.level.get(codeKey(hash), { snapshot: this.snapshot })) ?? null;
  }

  close(): Promise<void> {
    return this.snapshot.close();
  }
}
