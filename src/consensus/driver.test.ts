import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver, type DriverOptions } from './driver.js';
import type { DriverOutput } from './outputs.js';
import { signProposal, signVote, valueIdOf } from './sign.js';
import { verifyCommitCertificate, type CommitCertificate } from './certificate.js';
import { verifyEvidence } from './evidence.js';
import { InvalidCommitCertificateError, InvalidEvidenceError } from './errors.js';
import { DEFAULT_CONSENSUS_CONFIG } from './config.js';
import type { ConsensusMessage, Vote } from './types.js';
import { suite, testNetwork, testValidator, type TestValidator } from '../../test/sim/keys.js';
import type { ValidatorSet } from './validator-set.js';

const CHAIN = 'test-chain';

function options(member: TestValidator | null, set: ValidatorSet, height = 1): DriverOptions {
  return { chainId: CHAIN, suite, validators: set, height, privateKey: member?.key ?? null, isValid: () => true, config: { ...DEFAULT_CONSENSUS_CONFIG, createEmptyBlocks: true } };
}

/** Delivers every broadcast to every driver at once, in FIFO order, until quiet. */
function runToQuiet(drivers: Driver[], seed: DriverOutput[][]): { decisions: Map<number, DriverOutput[]>; all: DriverOutput[] } {
  const queue: [number, DriverOutput][] = seed.flatMap((outs, i) => outs.map((o) => [i, o] as [number, DriverOutput]));
  const decisions = new Map<number, DriverOutput[]>();
  const all: DriverOutput[] = [];
  while (queue.length > 0) {
    const [from, o] = queue.shift()!;
    all.push(o);
    const push = (i: number, outs: DriverOutput[]) => outs.forEach((x) => queue.push([i, x]));
    if (o.kind === 'broadcast') drivers.forEach((d, i) => i !== from && push(i, d.receive(o.message)));
    if (o.kind === 'getValue') push(from, drivers[from]!.proposeValue(o.height, o.round, new TextEncoder().encode(`block ${o.height}/${o.round}`)));
    if (o.kind === 'decide') decisions.set(from, [...(decisions.get(from) ?? []), o]);
  }
  return { decisions, all };
}

test('driver: four validators decide, and the certificate verifies on its own', () => {
  const { members, set } = testNetwork(4);
  const drivers = members.map((m) => new Driver(options(m, set)));
  const { decisions } = runToQuiet(drivers, drivers.map((d) => d.start()));
  assert.equal(decisions.size, 4);
  const ids = new Set([...decisions.values()].map((d) => (d[0]!.kind === 'decide' ? d[0]!.valueId : '')));
  assert.equal(ids.size, 1);
  for (const [, [d]] of decisions) {
    assert.ok(d?.kind === 'decide');
    assert.equal(d.round, 0);
    verifyCommitCertificate(d.certificate, set, suite, CHAIN);
    assert.throws(() => verifyCommitCertificate(d.certificate, set, suite, 'other-chain'), InvalidCommitCertificateError);
  }
  // The next height, with the validator set changed at the boundary.
  const next = set.next([{ ...set.validators[0]!, power: 3n }]);
  const { decisions: second } = runToQuiet(drivers, drivers.map((d) => d.nextHeight(next)));
  assert.equal(second.size, 4);
  for (const [, [d]] of second) assert.ok(d?.kind === 'decide' && d.height === 2);
});

function certificateOf(outs: DriverOutput[]): CommitCertificate {
  const d = outs.find((o) => o.kind === 'decide');
  assert.ok(d?.kind === 'decide');
  return d.certificate;
}

test('commit certificate: rejects too little power, duplicates, strangers and bad signatures', () => {
  const { members, set } = testNetwork(4);
  const drivers = members.map((m) => new Driver(options(m, set)));
  const cert = certificateOf(runToQuiet(drivers, drivers.map((d) => d.start())).decisions.get(0)!);
  const sigs = cert.signatures;
  const bad = (c: CommitCertificate) => assert.throws(() => verifyCommitCertificate(c, set, suite, CHAIN), InvalidCommitCertificateError);
  bad({ ...cert, signatures: sigs.slice(0, 2) });
  bad({ ...cert, signatures: [...sigs.slice(0, 2), sigs[0]!] });
  bad({ ...cert, signatures: [...sigs.slice(0, 2), { ...sigs[2]!, validator: testValidator(99).validator.address }] });
  const flipped = Uint8Array.from(sigs[2]!.signature);
  flipped[0]! ^= 1;
  bad({ ...cert, signatures: [...sigs.slice(0, 2), { ...sigs[2]!, signature: flipped }] });
  bad({ ...cert, round: cert.round + 1 });
  bad({ ...cert, valueId: 'ab'.repeat(32) });
});

test('driver: drops and reports votes of strangers, other heights, bad signatures and wrong proposers', () => {
  const { members, set } = testNetwork(4);
  const d = new Driver(options(members[0]!, set));
  d.start();
  const stranger = testValidator(50);
  const body = { type: 'prevote' as const, height: 1, round: 0, valueId: null };
  const reason = (m: ConsensusMessage) => d.receive(m).find((o) => o.kind === 'rejected');
  assert.equal(reason(signVote(suite, stranger.key, stranger.validator.address, body, CHAIN))?.kind === 'rejected' && 'notValidator', 'notValidator');
  const check = (m: ConsensusMessage, expected: string) => {
    const r = reason(m);
    assert.ok(r?.kind === 'rejected', `expected ${expected}`);
    assert.equal(r.reason, expected);
  };
  const v1 = members[1]!;
  check(signVote(suite, v1.key, v1.validator.address, { ...body, height: 7 }, CHAIN), 'wrongHeight');
  check({ ...signVote(suite, v1.key, v1.validator.address, body, CHAIN), signature: new Uint8Array(64) }, 'badSignature');
  check(signVote(suite, v1.key, v1.validator.address, body, 'other-chain'), 'badSignature');
  check({ ...signVote(suite, v1.key, v1.validator.address, body, CHAIN), round: -1 }, 'malformed');
  const value = new Uint8Array([1, 2, 3]);
  const notProposer = members.find((m) => m.validator.address !== set.proposer(0))!;
  const proposal = { height: 1, round: 0, validRound: -1, value, valueId: valueIdOf(suite, value) };
  check(signProposal(suite, notProposer.key, notProposer.validator.address, proposal, CHAIN), 'notProposer');
  const proposer = members.find((m) => m.validator.address === set.proposer(0))!;
  check(signProposal(suite, proposer.key, proposer.validator.address, { ...proposal, valueId: 'cd'.repeat(32) }, CHAIN), 'badValueId');
});

test('driver: two conflicting signed votes or proposals become verifiable evidence', () => {
  const { members, set } = testNetwork(4);
  const d = new Driver(options(members[0]!, set));
  d.start();
  const v1 = members[1]!;
  const vote = (valueId: string | null): Vote => signVote(suite, v1.key, v1.validator.address, { type: 'precommit', height: 1, round: 0, valueId }, CHAIN);
  d.receive(vote('11'.repeat(32)));
  const ev = d.receive(vote(null)).find((o) => o.kind === 'evidence');
  assert.ok(ev?.kind === 'evidence');
  verifyEvidence(ev.evidence, set, suite, CHAIN);
  assert.throws(() => verifyEvidence({ ...ev.evidence, second: ev.evidence.first } as typeof ev.evidence, set, suite, CHAIN), InvalidEvidenceError);

  const proposer = members.find((m) => m.validator.address === set.proposer(0))!;
  const propose = (text: string) => {
    const value = new TextEncoder().encode(text);
    return signProposal(suite, proposer.key, proposer.validator.address, { height: 1, round: 0, validRound: -1, value, valueId: valueIdOf(suite, value) }, CHAIN);
  };
  const observer = new Driver(options(null, set));
  observer.start();
  observer.receive(propose('a'));
  const pe = observer.receive(propose('b')).find((o) => o.kind === 'evidence');
  assert.ok(pe?.kind === 'evidence' && pe.evidence.kind === 'duplicateProposal');
  verifyEvidence(pe.evidence, set, suite, CHAIN);
});

test('driver: no empty blocks — a height waits until the host has a value or a peer starts', () => {
  const { members, set } = testNetwork(4);
  const opts = { ...options(members[0]!, set), config: DEFAULT_CONSENSUS_CONFIG };
  const d = new Driver(opts);
  assert.deepEqual(d.start(), []);
  assert.ok(d.isWaiting);
  assert.ok(d.valueAvailable().length > 0);
  assert.ok(!d.isWaiting);
  const interval = new Driver({ ...opts, config: { ...DEFAULT_CONSENSUS_CONFIG, createEmptyBlocks: true, emptyBlocksInterval: 5000 } });
  assert.deepEqual(interval.start(), [{ kind: 'scheduleTimeout', timeout: 'emptyBlocks', height: 1, round: 0, durationMs: 5000 }]);
  assert.ok(interval.onTimeout('emptyBlocks', 1, 0).length > 0);
  const woken = new Driver(opts);
  woken.start();
  const v1 = members[1]!;
  woken.receive(signVote(suite, v1.key, v1.validator.address, { type: 'prevote', height: 1, round: 0, valueId: null }, CHAIN));
  assert.ok(!woken.isWaiting);
});

test('driver: timeouts grow with the round', () => {
  const { members, set } = testNetwork(4);
  const d = new Driver(options(members[0]!, set));
  d.start();
  const durations: number[] = [];
  for (let r = 0; r < 3; r++) {
    const outs = d.onTimeout('propose', 1, r).concat(d.onTimeout('prevote', 1, r), d.onTimeout('precommit', 1, r));
    const t = outs.find((o) => o.kind === 'scheduleTimeout' && o.timeout === 'propose' && o.round === r + 1);
    assert.ok(t?.kind === 'scheduleTimeout' || d.validatorSet.proposer(r + 1) === d.address);
    if (t?.kind === 'scheduleTimeout') durations.push(t.durationMs);
  }
  for (let i = 1; i < durations.length; i++) assert.ok(durations[i]! > durations[i - 1]!);
});
