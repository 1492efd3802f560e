import { encode } from '../codec/index.js';
import type { Suite } from '../crypto/index.js';
import { fromHex, type ValidatorSet } from '../consensus/index.js';

/** Hash of a validator set's membership and powers (not its proposer priorities), for block headers. */
export function validatorSetHash(suite: Suite, set: ValidatorSet): Uint8Array {
  return suite.hash(encode(set.validators.map((v) => [fromHex(v.address), v.publicKey.bytes, v.power])));
}

/** The set that decides `height`: genesis advanced once per earlier height (proposer rotation). */
export function validatorSetAt(genesis: ValidatorSet, height: number): ValidatorSet {
  let set = genesis;
  for (let h = 1; h < height; h++) set = set.next();
  return set;
}

/**
 * `validatorSetAt` for a chain that is read height after height (block sync, replay): keeps the
 * last set it computed and advances from there, so a sync of h blocks costs O(h), not O(h²)
 * (review L8 (3)). Asking for an earlier height starts again from genesis.
 */
export class ValidatorSetHistory {
  private height = 1;
  private set: ValidatorSet;

  constructor(private readonly genesis: ValidatorSet) {
    this.set = genesis;
  }

  at(height: number): ValidatorSet {
    if (height < this.height) {
      this.height = 1;
      this.set = this.genesis;
    }
    for (; this.height < height; this.height++) this.set = this.set.next();
    return this.set;
  }
}
