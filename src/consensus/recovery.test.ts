import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Driver, type DriverOptions } from './driver.js';
import type { DriverOutput } from './outputs.js';
import { messageSlot, type ConsensusSnapshot } from './recovery.js';
import { signProposal, signVote, valueIdOf } from './sign.js';
import { DEFAULT_CONSENSUS_CONFIG } from './config.js';
import type { ConsensusMessage } from './types.js';
import { suite, testNetwork } from '../../test/sim/keys.js';

const CHAIN = 'recovery-chain';
const { members, set } = testNetwork(4);
const me = members.find((m) => m.validator.address !== set.proposer(0))!;
const others = members.filter((m) => m !== me);
const VALUES = ['a', 'b'].map((t) => new TextEncoder().encode(t));
const IDS = VALUES.map((v) => valueIdOf(suite, v));
const opts: DriverOptions = { chainId: CHAIN, suite, validators: set, height: 1, privateKey: me.key, isValid: () => true, config: { ...DEFAULT_CONSENSUS_CONFIG, createEmptyBlocks: true } };

type Event =
  | { kind: 'vote'; from: number; type: 'prevote' | 'precommit'; round: number; value: number }
  | { kind: 'proposal'; round: number; value: number; validRound: number }
  | { kind: 'timeout'; timeout: 'propose' | 'prevote' | 'precommit'; round: number }
  | { kind: 'propose'; round: number; value: number }
  | { kind: 'crash'; lose: boolean };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('vote' as const), from: fc.nat(2), type: fc.constantFrom('prevote' as const, 'precommit' as const), round: fc.nat(3), value: fc.nat(2) }),
  fc.record({ kind: fc.constant('proposal' as const), round: fc.nat(3), value: fc.nat(1), validRound: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ kind: fc.constant('timeout' as const), timeout: fc.constantFrom('propose' as const, 'prevote' as const, 'precommit' as const), round: fc.nat(3) }),
  fc.record({ kind: fc.constant('propose' as const), round: fc.nat(3), value: fc.nat(1) }),
  fc.record({ kind: fc.constant('crash' as const), lose: fc.boolean() }),
);

function message(e: Event): ConsensusMessage | null {
  if (e.kind === 'vote') {
    const who = others[e.from]!;
    return signVote(suite, who.key, who.validator.address, { type: e.type, height: 1, round: e.round, valueId: e.value === 2 ? null : IDS[e.value]! }, CHAIN);
  }
  if (e.kind === 'proposal') {
    const proposer = members.find((m) => m.validator.address === set.proposer(e.round))!;
    if (proposer === me || e.validRound >= e.round) return null;
    const body = { height: 1, round: e.round, validRound: e.validRound, value: VALUES[e.value]!, valueId: IDS[e.value]! };
    return signProposal(suite, proposer.key, proposer.validator.address, body, CHAIN);
  }
  return null;
}

const fingerprint = (m: ConsensusMessage) => `${m.kind === 'vote' ? m.valueId : `${m.valueId}/${m.validRound}`}`;

test('recovery: with the persisted snapshot, a restarted validator never signs two different messages for one slot', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      let driver = new Driver(opts);
      let durable: ConsensusSnapshot | null = null;
      const sent = new Map<string, string>();
      const perform = (outs: DriverOutput[]) => {
        for (const o of outs) {
          if (o.kind === 'persist') durable = o.snapshot;
          if (o.kind !== 'broadcast') continue;
          const slot = messageSlot(o.message);
          // The contract: the message is durable before it leaves.
          assert.ok(durable?.signed.some((m) => messageSlot(m) === slot && fingerprint(m) === fingerprint(o.message)), `sent ${slot} before persisting it`);
          const before = sent.get(slot);
          assert.ok(before === undefined || before === fingerprint(o.message), `equivocated at ${slot}: ${before} then ${fingerprint(o.message)}`);
          sent.set(slot, fingerprint(o.message));
        }
      };
      perform(driver.start());
      for (const e of events) {
        if (e.kind === 'crash') {
          // A crash may lose anything not yet persisted; only `durable` survives.
          driver = durable ? Driver.restore(opts, durable) : new Driver(opts);
          perform(driver.start());
        } else if (e.kind === 'timeout') perform(driver.onTimeout(e.timeout, 1, e.round));
        else if (e.kind === 'propose') perform(driver.proposeValue(1, e.round, VALUES[e.value]!));
        else {
          const m = message(e);
          if (m) perform(driver.receive(m));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('recovery: without the snapshot the same restart would equivocate (why the contract exists)', () => {
  const proposal = (value: number) => message({ kind: 'proposal', round: 0, value, validRound: -1 })!;
  const prevotes = (outs: DriverOutput[]) => outs.flatMap((o) => (o.kind === 'broadcast' && o.message.kind === 'vote' ? [o.message.valueId] : []));
  const first = new Driver(opts);
  first.start();
  const out = first.receive(proposal(0));
  const durable = out.find((o) => o.kind === 'persist');
  assert.ok(durable?.kind === 'persist');
  assert.deepEqual(prevotes(out), [IDS[0]]);
  // An equivocating proposer shows the restarted validator another value for the same round.
  const amnesiac = new Driver(opts);
  amnesiac.start();
  assert.deepEqual(prevotes(amnesiac.receive(proposal(1))), [IDS[1]]);
  const restored = Driver.restore(opts, durable.snapshot);
  const again = restored.start().concat(restored.receive(proposal(1)));
  assert.deepEqual([...new Set(prevotes(again))], [IDS[0]]);
});
