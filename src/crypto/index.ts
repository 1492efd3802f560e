import type { Suite } from './suite.js';
import { UnknownSuiteError } from './errors.js';
import { ecdsaP256 } from './ecdsa-p256.js';
import { ed25519 } from './ed25519.js';
import { secp256k1 } from './secp256k1.js';
import { sm2 } from './sm2.js';

export * from './suite.js';
export * from './errors.js';
export { ecdsaP256, isLowS, toLowS } from './ecdsa-p256.js';
export { ed25519 } from './ed25519.js';
export { secp256k1, ethereumAddress } from './secp256k1.js';
export { sm2, sm2WithId, SM2_DEFAULT_ID } from './sm2.js';
export { keccak256 } from './keccak.js';
export { sm3 } from './sm3.js';
export { signatureFromDer, signatureToDer } from './der-signature.js';

const SUITES: ReadonlyMap<string, Suite> = new Map<string, Suite>([
  [ecdsaP256.name, ecdsaP256],
  [ed25519.name, ed25519],
  [secp256k1.name, secp256k1],
  [sm2.name, sm2],
]);

/** The suite of a name; throws UnknownSuiteError for a name this build does not know. */
export function getSuite(name: string): Suite {
  const suite = SUITES.get(name);
  if (!suite) throw new UnknownSuiteError(`unknown suite '${name}' (known: ${[...SUITES.keys()].join(', ')})`);
  return suite;
}
