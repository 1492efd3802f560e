/**
 * Deterministic validator keys for tests and the simulator: key i is derived from its index, so
 * addresses — and with them proposer order — are the same on every run and machine.
 */
import { createHash } from 'node:crypto';
import { getSuite, type PrivateKey, type Suite } from '../../src/crypto/index.js';
import { validatorAddress, ValidatorSet, type Validator } from '../../src/consensus/index.js';

export const suite: Suite = getSuite('ed25519');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface TestValidator {
  readonly index: number;
  readonly key: PrivateKey;
  readonly validator: Validator;
}

const cache = new Map<number, TestValidator>();

export function testValidator(index: number, power = 1n): TestValidator {
  let base = cache.get(index);
  if (!base) {
    const seed = createHash('sha256').update(`bsn-sim-validator-${index}`).digest();
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]).toString('base64');
    const key = suite.importPrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${der}\n-----END PRIVATE KEY-----\n`);
    base = { index, key, validator: { address: validatorAddress(suite, key.publicKey), publicKey: key.publicKey, power: 1n } };
    cache.set(index, base);
  }
  return power === base.validator.power ? base : { ...base, validator: { ...base.validator, power } };
}

/** Validators 0..n-1 with the given powers (default 1 each) and their genesis set. */
export function testNetwork(n: number, powers: readonly bigint[] = []): { members: TestValidator[]; set: ValidatorSet } {
  const members = Array.from({ length: n }, (_, i) => testValidator(i, powers[i] ?? 1n));
  return { members, set: ValidatorSet.genesis(members.map((m) => m.validator)) };
}
