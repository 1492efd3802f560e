import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GovError } from './errors.js';
import { decide, DEFAULT_RULES, resolveRule, type ResolvedClause, type VoterContext } from './rules.js';
import { checkTrustCode, isValidTrustCode, trustCodeCheckChar, TRUST_CODE_CHARSET } from './trust-code.js';
import { GOV_ACTIONS, type Threshold, type VoteRecord } from './types.js';

const ctx = (concerned: VoterContext['concerned'] = ['op2']): VoterContext => ({
  operators: ['op1', 'op2', 'op3'],
  concerned,
  isVoter: (n) => ['authority', 'op1', 'op2', 'op3', 'acme'].includes(n),
});
const vote = (voter: string, yes = true): VoteRecord => ({ voter, fingerprint: voter, yes, height: 1, tx: '00' });
const clause = (names: string[], threshold: Threshold, weights: Record<string, number> = {}): ResolvedClause => ({
  voters: names.map((name) => ({ name, weight: Object.hasOwn(weights, name) ? weights[name]! : 1 })),
  threshold,
});

test('every action has a default rule', () => {
  assert.deepEqual(DEFAULT_RULES.map((r) => r.action).sort(), [...GOV_ACTIONS].sort());
});

test('resolveRule: concerned operators, the root as issuer, identities, weights, no voter', () => {
  const addNode = DEFAULT_RULES.find((r) => r.action === 'add-node')!;
  assert.deepEqual(resolveRule(addNode, ctx()), [clause(['op2'], 'ALL'), clause(['op1', 'op2', 'op3'], 'MAJORITY')]);
  const revoke = { action: 'revoke' as const, clauses: [{ voters: 'concerned-operators' as const, threshold: 'ALL' as const }] };
  assert.deepEqual(resolveRule(revoke, ctx('root')), [clause(['op1', 'op2', 'op3'], 'MAJORITY')]);
  const named = { action: 'set-plan' as const, clauses: [{ voters: { identities: ['acme', 'ghost', 'authority'] }, threshold: 'ANY' as const, weights: { acme: 3 } }] };
  assert.deepEqual(resolveRule(named, ctx()), [clause(['acme', 'authority'], 'ANY', { acme: 3 })]);
  const proto = { action: 'set-plan' as const, clauses: [{ voters: { identities: ['constructor', 'toString'] }, threshold: 'ALL' as const, weights: JSON.parse('{"__proto__": 7}') }] };
  const odd: VoterContext = { ...ctx(), isVoter: () => true };
  assert.deepEqual(resolveRule(proto, odd), [clause(['constructor', 'toString'], 'ALL')], 'inherited properties are no weights');
  const owner = { action: 'set-plan' as const, clauses: [{ voters: 'app-owner' as const, threshold: 'ANY' as const }] };
  assert.throws(() => resolveRule(owner, ctx()), (e: unknown) => e instanceof GovError && e.code === 'GOV_INVALID_ARGUMENT');
});

test('decide: thresholds pass, stay open, or reject as soon as they cannot be met', () => {
  const ops = ['op1', 'op2', 'op3'];
  assert.equal(decide([clause(ops, 'ANY')], [vote('op1')]), 'passed');
  assert.equal(decide([clause(ops, 'ANY')], [vote('op1', false), vote('op2', false)]), 'open');
  assert.equal(decide([clause(ops, 'ANY')], [vote('op1', false), vote('op2', false), vote('op3', false)]), 'rejected');
  assert.equal(decide([clause(ops, 'MAJORITY')], [vote('op1')]), 'open');
  assert.equal(decide([clause(ops, 'MAJORITY')], [vote('op1'), vote('op3')]), 'passed');
  assert.equal(decide([clause(ops, 'MAJORITY')], [vote('op1', false), vote('op3', false)]), 'rejected');
  assert.equal(decide([clause(['op1', 'op2'], 'MAJORITY')], [vote('op1')]), 'open', 'half is not a majority');
  assert.equal(decide([clause(ops, 'ALL')], [vote('op1'), vote('op2')]), 'open');
  assert.equal(decide([clause(ops, 'ALL')], [vote('op1'), vote('op2', false)]), 'rejected');
  assert.equal(decide([clause(ops, { atLeast: 2 })], [vote('op1'), vote('op2')]), 'passed');
  assert.equal(decide([clause(ops, { atLeast: 2 })], [vote('op1', false), vote('op2', false)]), 'rejected');
  assert.equal(decide([clause(ops, { fraction: [2, 3] })], [vote('op1'), vote('op2')]), 'passed');
  assert.equal(decide([clause(ops, { fraction: [2, 3] })], [vote('op1'), vote('op2', false)]), 'open');
  assert.equal(decide([clause(ops, { fraction: [2, 3] }, { op1: 4 })], [vote('op1')]), 'passed', 'weight 4 of 6');
  assert.equal(decide([clause(ops, 'MAJORITY', { op3: 5 })], [vote('op1'), vote('op2')]), 'open', 'weight 2 of 7');
  // Every clause must hold: one met clause and one rejected clause reject.
  assert.equal(decide([clause(['authority'], 'ALL'), clause(ops, 'MAJORITY')], [vote('authority'), vote('op1'), vote('op2')]), 'passed');
  assert.equal(decide([clause(['authority'], 'ALL'), clause(ops, 'MAJORITY')], [vote('authority', false), vote('op1'), vote('op2')]), 'rejected');
});

test('property: decide never passes what more no votes could reject, and is monotone in yes votes', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const threshold = fc.oneof(
    fc.constantFrom<Threshold>('ANY', 'MAJORITY', 'ALL'),
    fc.integer({ min: 1, max: 6 }).map((n): Threshold => ({ atLeast: n })),
    fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 })).map(([p, d]): Threshold => ({ fraction: [p, p + d] })),
  );
  fc.assert(
    fc.property(threshold, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 5, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (t, w, yes) => {
      const c = clause(names, t, Object.fromEntries(names.map((n, i) => [n, w[i]!])));
      const all = names.map((n, i) => vote(n, yes[i]));
      const final = decide([c], all);
      assert.notEqual(final, 'open', 'once everyone voted the proposal is decided');
      for (let k = 0; k < names.length; k++) {
        const partial = decide([c], all.slice(0, k));
        if (partial !== 'open') assert.equal(partial, final, 'an early decision is the final one');
      }
    }),
    { numRuns: 500 },
  );
});

test('trust codes: GB 32100-2015 check character, authority and region', () => {
  assert.ok(isValidTrustCode('91350100M000100Y43'));
  assert.ok(!isValidTrustCode('91350100M000100Y44'));
  assert.throws(() => checkTrustCode('91350100M000100Y44'), (e: unknown) => e instanceof GovError && e.code === 'GOV_INVALID_TRUST_CODE');
  assert.ok(!isValidTrustCode('91350100M000100Y4'), 'length');
  assert.ok(!isValidTrustCode('91350100M000100I43'), 'I is not in the alphabet');
  const withCheck = (first17: string) => first17 + trustCodeCheckChar(first17);
  assert.ok(isValidTrustCode(withCheck('91110000600037341')));
  assert.ok(!isValidTrustCode(withCheck('B1350100M000100Y4')), 'B is no registration authority');
  assert.ok(!isValidTrustCode(withCheck('91990100M000100Y4')), '99 is no province');
  assert.ok(!isValidTrustCode(withCheck('9135A100M000100Y4')), 'the region is digits');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TRUST_CODE_CHARSET), { minLength: 9, maxLength: 9 }), fc.constantFrom(...TRUST_CODE_CHARSET), (orgCode, wrong) => {
      const code = withCheck(`91350100${orgCode.join('')}`);
      assert.ok(isValidTrustCode(code), code);
      if (wrong !== code[17]) assert.ok(!isValidTrustCode(code.slice(0, 17) + wrong), 'any other check character is refused');
    }),
    { numRuns: 300 },
  );
});
