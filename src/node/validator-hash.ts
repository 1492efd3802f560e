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
