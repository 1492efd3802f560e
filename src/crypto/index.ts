import type { Suite } from './suite.js';
import { UnknownSuiteError } from './errors.js';
import { ecdsaP256 } from './ecdsa-p256.js';
import { ed25519 } from './ed25519.js';

export * from './suite.js';
export * from './errors.js';
export { ecdsaP256 } from './ecdsa-p256.js';
export { ed25519 } from './ed25519.js';

const SUITES: ReadonlyMap<string, Suite> = new Map<string, Suite>([
  [ecdsaP256.name, ecdsaP256],
  [ed25519.name, ed25519],
]);

/** The suite of a name; throws UnknownSuiteError for a name this build does not know. */
export function getSuite(name: string): Suite {
  const suite = SUITES.get(name);
  if (!suite) throw new UnknownSuiteError(`unknown suite '${name}' (known: ${[...SUITES.keys()].join(', ')})`);
  return suite;
}
