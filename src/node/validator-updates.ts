import { decode, encode, expectArray, expectBytes, expectString, expectUint } from '../codec/index.js';
import type { Suite } from '../crypto/index.js';
import { validatorAddress, type Validator } from '../consensus/index.js';
import type { ValidatorUpdate } from '../execution/index.js';

/*
 * A validator-set change as the block store keeps it beside its block:
 *   encode([[name, publicKey, power], ...])   the whole set in force from the next height
 */

export function encodeValidatorUpdates(updates: readonly ValidatorUpdate[]): Uint8Array {
  return encode(updates.map((u) => [u.name, u.publicKey, u.power]));
}

/** The stored change as validators of `suite`, with their names; throws the codec's or the suite's typed error on bad bytes. */
export function decodeValidatorUpdates(suite: Suite, bytes: Uint8Array): { validators: Validator[]; names: Map<string, string> } {
  const names = new Map<string, string>();
  const validators = expectArray(decode(bytes), '$').map((entry, i) => {
    const [name, key, power] = expectArray(entry, `$[${i}]`, 3);
    const publicKey = suite.importPublicKeyBytes(expectBytes(key!, `$[${i}].publicKey`));
    const address = validatorAddress(suite, publicKey);
    names.set(address, expectString(name!, `$[${i}].name`));
    return { address, publicKey, power: BigInt(expectUint(power!, `$[${i}].power`)) };
  });
  return { validators, names };
}
