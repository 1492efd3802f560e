import { encode } from '../codec/index.js';
import type { Suite } from '../crypto/index.js';
import { fromHex, type Validator, type ValidatorSet } from '../consensus/index.js';

/** Hash of a validator set's membership and powers (not its proposer priorities), for block headers. */
export function validatorSetHash(suite: Suite, set: ValidatorSet): Uint8Array {
  return suite.hash(encode(set.validators.map((v) => [fromHex(v.address), v.publicKey.bytes, v.power])));
}

/**
 * The set of the height after `set`'s: proposer rotation, and, when the block of `set`'s height
 * changed the membership (`full`, the whole new set), the diff to it — members not in `full`
 * leave with power 0, as ValidatorSet.next takes it, so priorities carry over for those who stay.
 */
export function advanceValidatorSet(set: ValidatorSet, full?: readonly Validator[]): ValidatorSet {
  if (!full) return set.next();
  const staying = new Set(full.map((v) => v.address));
  const leaving = set.validators.filter((v) => !staying.has(v.address)).map((v) => ({ ...v, power: 0n }));
  return set.next([...full, ...leaving]);
}

/** The set that decides `height`: genesis advanced once per earlier height (proposer rotation). */
export function validatorSetAt(genesis: ValidatorSet, height: number, updates?: ReadonlyMap<number, readonly Validator[]>): ValidatorSet {
  let set = genesis;
  for (let h = 1; h < height; h++) set = advanceValidatorSet(set, updates?.get(h));
  return set;
}

/**
 * `validatorSetAt` for a chain that is read height after height (block sync, replay): keeps the
 * last set it computed and advances from there, so a sync of h blocks costs O(h), not O(h²)
 * (review L8 (3)). Asking for an earlier height starts again from genesis. `updates` maps a
 * height to the whole set its block put in force from the next height on (the governance chain's
 * decisions); `record` adds one as its block commits, before any later height is asked for.
 */
export class ValidatorSetHistory {
  private height = 1;
  private set: ValidatorSet;
  private readonly updates: Map<number, readonly Validator[]>;

  constructor(
    private readonly genesis: ValidatorSet,
    updates: ReadonlyMap<number, readonly Validator[]> = new Map(),
  ) {
    this.set = genesis;
    this.updates = new Map(updates);
  }

  /** The block of `height` changes the set from `height + 1` on. */
  record(height: number, validators: readonly Validator[]): void {
    if (this.height > height) {
      this.height = 1;
      this.set = this.genesis;
    }
    this.updates.set(height, validators);
  }

  /** Heights whose block changed the set, in order. */
  changeHeights(): number[] {
    return [...this.updates.keys()].sort((a, b) => a - b);
  }

  at(height: number): ValidatorSet {
    if (height < this.height) {
      this.height = 1;
      this.set = this.genesis;
    }
    for (; this.height < height; this.height++) this.set = advanceValidatorSet(this.set, this.updates.get(this.height));
    return this.set;
  }
}
