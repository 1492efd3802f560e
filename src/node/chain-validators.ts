import type { BlockStore } from '../chain/index.js';
import type { ValidatorSet } from '../consensus/index.js';
import type { ValidatorUpdate } from '../execution/index.js';
import type { ChainGenesis } from './genesis.js';
import { ValidatorSetHistory } from './validator-hash.js';
import { decodeValidatorUpdates, encodeValidatorUpdates } from './validator-updates.js';

/**
 * Every validator set a chain has had: its genesis set, rotated each height, and the changes its
 * blocks decided (the governance chain adds and removes nodes). The block store keeps each
 * change beside its block; load() reads them back, so restart, replay and sync compute the same
 * set for every height. Names (for logs and status) come from the genesis and from the changes.
 */
export class ChainValidators {
  private readonly names: Map<string, string>;
  private readonly history: ValidatorSetHistory;

  constructor(private readonly genesis: ChainGenesis) {
    this.history = new ValidatorSetHistory(genesis.validators);
    this.names = new Map(genesis.names);
  }

  /** Reads the changes the block store holds; before anything asks for a set past genesis. */
  async load(store: BlockStore): Promise<void> {
    for (const [height, bytes] of await store.validatorChanges()) this.record(height, decodeValidatorUpdates(this.genesis.suite, bytes));
  }

  /** The block of `height` puts `updates` in force from height + 1; returns the encoding the block store keeps. */
  change(height: number, updates: readonly ValidatorUpdate[]): Uint8Array {
    const bytes = encodeValidatorUpdates(updates);
    this.record(height, decodeValidatorUpdates(this.genesis.suite, bytes));
    return bytes;
  }

  /** The set that decides `height` (any height whose earlier changes are recorded). */
  at(height: number): ValidatorSet {
    return this.history.at(height);
  }

  nameOf(address: string): string {
    return this.names.get(address) ?? address;
  }

  private record(height: number, change: { validators: ValidatorSet['validators']; names: Map<string, string> }): void {
    this.history.record(height, change.validators);
    for (const [address, name] of change.names) this.names.set(address, name);
  }
}
