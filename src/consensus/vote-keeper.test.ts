import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoteKeeper } from './vote-keeper.js';
import { ValidatorSet } from './validator-set.js';
import type { Vote } from './types.js';
import { testNetwork } from '../../test/sim/keys.js';

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);

function vote(validator: string, type: Vote['type'], round: number, valueId: string | null): Vote {
  return { kind: 'vote', type, height: 1, round, valueId, validator, signature: new Uint8Array(64) };
}

function setup(powers: bigint[]): { keeper: VoteKeeper; addr: string[]; set: ValidatorSet } {
  const { members, set } = testNetwork(powers.length, powers);
  return { keeper: new VoteKeeper(set), addr: members.map((m) => m.validator.address), set };
}

function thresholds(keeper: VoteKeeper, v: Vote): string[] {
  const r = keeper.add(v);
  assert.equal(r.kind, 'added');
  return r.kind === 'added' ? r.thresholds.map((t) => ('valueId' in t ? `${t.kind}@${t.round}` : `${t.kind}@${t.round}`)) : [];
}

test('vote keeper: polka for a value needs strictly more than 2/3 of the power', () => {
  const { keeper, addr } = setup([1n, 1n, 1n, 1n, 1n, 1n]);
  assert.deepEqual(thresholds(keeper, vote(addr[0]!, 'prevote', 0, A)), []);
  assert.deepEqual(thresholds(keeper, vote(addr[1]!, 'prevote', 0, A)), []);
  assert.deepEqual(thresholds(keeper, vote(addr[2]!, 'prevote', 0, A)), ['skipRound@0']);
  assert.deepEqual(thresholds(keeper, vote(addr[3]!, 'prevote', 0, A)), []); // 4/6 = 2/3 exactly: not a quorum
  assert.equal(keeper.polka(0, A), false);
  assert.deepEqual(thresholds(keeper, vote(addr[4]!, 'prevote', 0, A)), ['polkaValue@0', 'polkaAny@0']);
  assert.equal(keeper.polka(0, A), true);
});

test('vote keeper: weights, not heads, make quorums', () => {
  const { keeper, addr } = setup([10n, 1n, 1n, 1n]); // total 13; 10 > 26/3
  assert.deepEqual(thresholds(keeper, vote(addr[0]!, 'precommit', 2, B)), ['precommitValue@2', 'precommitAny@2', 'skipRound@2']);
  assert.equal(keeper.precommitValue(2), B);
  assert.deepEqual([...keeper.decidable()], [{ round: 2, valueId: B }]);
});

test('vote keeper: mixed votes give polka any and nil separately', () => {
  const { keeper, addr } = setup([1n, 1n, 1n, 1n]);
  thresholds(keeper, vote(addr[0]!, 'prevote', 0, null));
  thresholds(keeper, vote(addr[1]!, 'prevote', 0, A));
  assert.deepEqual(thresholds(keeper, vote(addr[2]!, 'prevote', 0, null)), ['polkaAny@0']);
  assert.equal(keeper.polka(0, null), false);
  assert.deepEqual(thresholds(keeper, vote(addr[3]!, 'prevote', 0, null)), ['polkaNil@0']);
  assert.ok(keeper.polka(0, null) && keeper.polkaAny(0) && !keeper.polka(0, A));
});

test('vote keeper: +1/3 of power in a higher round is a skip, counted once per validator', () => {
  const { keeper, addr } = setup([1n, 1n, 1n, 1n]);
  thresholds(keeper, vote(addr[0]!, 'prevote', 5, A));
  thresholds(keeper, vote(addr[0]!, 'precommit', 5, A)); // same validator again: still 1/4
  assert.equal(keeper.skipRound(0), null);
  thresholds(keeper, vote(addr[1]!, 'precommit', 5, null));
  assert.equal(keeper.skipRound(0), 5);
  assert.equal(keeper.skipRound(5), null);
});

test('vote keeper: a repeated vote is a duplicate, a different one is equivocation counted per value', () => {
  const { keeper, addr } = setup([1n, 1n, 1n, 1n]);
  thresholds(keeper, vote(addr[0]!, 'prevote', 0, A));
  assert.equal(keeper.add(vote(addr[0]!, 'prevote', 0, A)).kind, 'duplicate');
  const r = keeper.add(vote(addr[0]!, 'prevote', 0, B));
  assert.equal(r.kind, 'equivocation');
  assert.equal(r.kind === 'equivocation' && r.evidence.second.valueId, B);
  // As in the paper: the equivocator counts towards each value, but once towards "any".
  thresholds(keeper, vote(addr[1]!, 'prevote', 0, B));
  assert.equal(keeper.polkaAny(0), false);
  thresholds(keeper, vote(addr[2]!, 'prevote', 0, B));
  assert.equal(keeper.polka(0, B), true);
  assert.equal(keeper.polka(0, A), false);
});

test('vote keeper: quorum arithmetic is exact for huge powers', () => {
  const big = 1n << 58n;
  const { keeper, addr } = setup([big, big, big + 1n]);
  thresholds(keeper, vote(addr[0]!, 'prevote', 0, A));
  thresholds(keeper, vote(addr[1]!, 'prevote', 0, A)); // 2·2^58 of 3·2^58+1: just under 2/3
  assert.equal(keeper.polka(0, A), false);
  thresholds(keeper, vote(addr[2]!, 'prevote', 0, A));
  assert.equal(keeper.polka(0, A), true);
});
