import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getSuite } from '../crypto/index.js';
import { ValidatorSet, validatorAddress } from '../consensus/index.js';
import { ValidatorSetHistory, validatorSetAt } from './validator-hash.js';

const suite = getSuite('ecdsa-p256');

test('L8 (3): the incremental validator-set history gives the same set as advancing from genesis, in any order of heights', () => {
  const keys = Array.from({ length: 4 }, () => suite.generateKeyPair());
  const genesis = ValidatorSet.genesis(keys.map((k, i) => ({ address: validatorAddress(suite, k.publicKey), publicKey: k.publicKey, power: BigInt(i + 1) })));
  const history = new ValidatorSetHistory(genesis);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (heights) => {
      for (const h of heights) {
        const expected = validatorSetAt(genesis, h);
        const got = history.at(h);
        for (let r = 0; r < 5; r++) assert.equal(got.proposer(r), expected.proposer(r), `height ${h} round ${r}`);
      }
    }),
    { numRuns: 30 },
  );
});
