import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getSuite } from '../crypto/index.js';
import { encodeSnapshot, signProposal, signVote, validatorAddress, valueIdOf, type ConsensusMessage, type ConsensusSnapshot } from '../consensus/index.js';
import { restoreSnapshot, WalRecordWriter } from './wal-records.js';

const suite = getSuite('ecdsa-p256');
const key = suite.generateKeyPair();
const me = validatorAddress(suite, key.publicKey);

/** The snapshots a validator persists over `rounds` rounds of one height, proposing one 64 KiB block in every round it is proposer (each 4th). */
function snapshots(rounds: number): ConsensusSnapshot[] {
  const block = new Uint8Array(64 * 1024).fill(1);
  const valueId = valueIdOf(suite, block);
  const signed: ConsensusMessage[] = [];
  const out: ConsensusSnapshot[] = [];
  for (let round = 0; round < rounds; round++) {
    // A validator that locked on its block re-proposes it (validRound) in its later rounds.
    if (round % 4 === 0) signed.push(signProposal(suite, key.privateKey, me, { height: 5, round, validRound: round === 0 ? -1 : 0, value: block, valueId }, 'c'));
    signed.push(signVote(suite, key.privateKey, me, { type: 'prevote', height: 5, round, valueId }, 'c'));
    signed.push(signVote(suite, key.privateKey, me, { type: 'precommit', height: 5, round, valueId }, 'c'));
    const locked = { round: 0, value: block, valueId };
    out.push({ version: 1, height: 5, round, locked, valid: locked, signed: [...signed] });
  }
  return out;
}

test('L4: a block value is written once per height, not once per round, and recovery restores every value', () => {
  const all = snapshots(40);
  const writer = new WalRecordWriter();
  const records = all.map((s) => writer.record(s));
  const written = records.reduce((n, r) => n + r.length, 0);
  const asBefore = all.reduce((n, s) => n + encodeSnapshot(s).length, 0);
  // Once: one 64 KiB value plus small votes; before, ~30 copies per record by the end.
  assert.ok(written < 2 * 64 * 1024 + 40 * 40 * 200, `wrote ${written} bytes`);
  assert.ok(asBefore > 20 * written, `the old form wrote ${asBefore} bytes, this one ${written}`);
  for (let i = 0; i < records.length; i++) {
    const restored = restoreSnapshot(suite, records.slice(0, i + 1))!;
    assert.deepEqual(restored, all[i], `snapshot ${i}`);
  }
  // After the height is discarded, the next height's first record carries its values again.
  writer.reset();
  assert.deepEqual(restoreSnapshot(suite, [writer.record(all[3]!)]), all[3]);
});

test('a WAL whose earlier record is missing is refused with a typed error, not restored with a hole', () => {
  const all = snapshots(3);
  const writer = new WalRecordWriter();
  const records = all.map((s) => writer.record(s));
  assert.throws(() => restoreSnapshot(suite, records.slice(1)), { code: 'NODE_WAL_RECORD' });
  assert.equal(restoreSnapshot(suite, []), undefined);
});
