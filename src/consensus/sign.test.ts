import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proposalSignBytes, signVote, verifyVoteSignature, voteSignBytes } from './sign.js';
import { decodeCommitCertificate, decodeSnapshot, encodeCommitCertificate, encodeSnapshot } from './encoding.js';
import type { ConsensusSnapshot } from './recovery.js';
import { suite, testValidator } from '../../test/sim/keys.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Golden vectors: these bytes are what validators sign; changing them forks every chain.
test('sign bytes: golden vectors (deterministic CBOR maps, domain and chain separated)', () => {
  assert.equal(
    hex(voteSignBytes({ type: 'precommit', height: 7, round: 2, valueId: 'ab'.repeat(32) }, 'bsn-gov')),
    'a6647479706569707265636f6d6d697465726f756e640266646f6d61696e7062736e2f636f6e73656e7375732f7631666865696768740768636861696e5f69646762736e2d676f766876616c75655f69645820' + 'ab'.repeat(32),
  );
  assert.equal(
    hex(voteSignBytes({ type: 'prevote', height: 7, round: 0, valueId: null }, 'bsn-gov')),
    'a6647479706567707265766f746565726f756e640066646f6d61696e7062736e2f636f6e73656e7375732f7631666865696768740768636861696e5f69646762736e2d676f766876616c75655f6964f6',
  );
  assert.equal(
    hex(proposalSignBytes({ height: 1, round: 3, validRound: -1, valueId: '00'.repeat(32) }, 'app-1')),
    'a764747970656870726f706f73616c65726f756e640366646f6d61696e7062736e2f636f6e73656e7375732f7631666865696768740168636861696e5f6964656170702d316876616c75655f69645820' +
      '00'.repeat(32) +
      '6b76616c69645f726f756e6420',
  );
});

test('sign bytes: a signature does not transfer across chains, types, heights or rounds', () => {
  const v = testValidator(0);
  const vote = signVote(suite, v.key, v.validator.address, { type: 'prevote', height: 3, round: 1, valueId: null }, 'chain-a');
  assert.ok(verifyVoteSignature(suite, v.key.publicKey, vote, 'chain-a'));
  assert.ok(!verifyVoteSignature(suite, v.key.publicKey, vote, 'chain-b'));
  assert.ok(!verifyVoteSignature(suite, v.key.publicKey, { ...vote, type: 'precommit' }, 'chain-a'));
  assert.ok(!verifyVoteSignature(suite, v.key.publicKey, { ...vote, height: 4 }, 'chain-a'));
  assert.ok(!verifyVoteSignature(suite, v.key.publicKey, { ...vote, round: 2 }, 'chain-a'));
});

test('encoding: certificates and snapshots survive a round trip through the codec', () => {
  const v = testValidator(0);
  const vote = signVote(suite, v.key, v.validator.address, { type: 'precommit', height: 3, round: 1, valueId: 'cd'.repeat(32) }, 'c');
  const cert = { height: 3, round: 1, valueId: 'cd'.repeat(32), signatures: [{ validator: v.validator.address, signature: vote.signature }] };
  assert.deepEqual(decodeCommitCertificate(encodeCommitCertificate(cert)), cert);
  const value = new Uint8Array([1, 2]);
  const snapshot: ConsensusSnapshot = {
    version: 1,
    height: 3,
    round: 1,
    locked: { round: 1, value, valueId: 'cd'.repeat(32) },
    valid: null,
    signed: [vote, { kind: 'proposal', height: 3, round: 1, validRound: -1, value, valueId: 'cd'.repeat(32), proposer: v.validator.address, signature: vote.signature }],
  };
  assert.deepEqual(decodeSnapshot(encodeSnapshot(snapshot)), snapshot);
});
