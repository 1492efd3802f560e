import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { decode, encode, type CodecValue } from '../../codec/index.js';
import { ecdsaP256 } from '../../crypto/index.js';
import type { ExecutionResult, Genesis } from '../application.js';
import { QueryError } from '../errors.js';
import { GovChain, genesisOf, makeGovPki, MINUTE, type GovPki, type Identity } from './gov.fixture.js';
import { govProposalId, proposePayload, votePayload } from './tx.js';

/*
 * Governance flows beyond the acceptance test: operators suspended and revoked, votes against,
 * rules changed, expiry, the checks on certificates, queries and proposal building. The genesis
 * has five nodes (op1: node1, node2; op2: node3, node4; op3: node5), so minValidators is 4.
 */

let pki: GovPki;
let nodes: Record<string, Identity>;
let genesis: Genesis;
const T0 = Date.now();
const dirs: string[] = [];
const te = new TextEncoder();

before(async () => {
  pki = await makeGovPki(['op1', 'op2', 'op3', 'op4']);
  nodes = {};
  const owners = { node1: 'op1', node2: 'op1', node3: 'op2', node4: 'op2', node5: 'op3' } as const;
  for (const [name, op] of Object.entries(owners)) nodes[name] = await pki.issue(op, 'node', name);
  const state = genesisOf(pki, ['op1', 'op2', 'op3'], Object.entries(owners).map(([name, operator]) => ({ node: nodes[name]!, operator })));
  genesis = { chainId: 'gov', time: T0, appState: state as unknown as CodecValue };
});
after(() => {
  pki.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const op = (name: string) => pki.operators.get(name)!;
const idOf = (tx: Uint8Array) => govProposalId(ecdsaP256, tx);
const codes = (r: ExecutionResult) => r.results.map((x) => x.code);
const names = (r: ExecutionResult) => r.nextValidators?.map((v) => v.name);

test('suspending an operator drops its nodes; its CA can no longer sign; the validator bound holds', async () => {
  const chain = await GovChain.start(genesis, dirs);
  assert.equal(chain.app.registry().minValidators, 4);
  const suspend = chain.propose(pki.authority, 'suspend-operator', { name: 'op3' });
  const r = await chain.block([suspend, chain.vote(op('op1').admin, idOf(suspend)), chain.vote(op('op3').ca, idOf(suspend))]);
  assert.deepEqual(codes(r), ['OK', 'OK', 'OK']);
  assert.deepEqual(names(r), ['node1', 'node2', 'node3', 'node4']);
  assert.equal(chain.app.registry().operators.find((o) => o.name === 'op3')?.status, 'suspended');
  const late = await chain.execute([chain.propose(op('op3').ca, 'set-plan', { plan: { name: 'p', requestsPerSecond: 1, txPerDay: 1, storageMiB: 1, pricePerNodeMonth: 1, currency: 'CNY' } })]);
  assert.deepEqual(codes(late), ['GOV_UNKNOWN_SIGNER']);
  const tooFew = await chain.execute([chain.propose(pki.authority, 'suspend-operator', { name: 'op2' })]);
  assert.deepEqual(codes(tooFew), ['GOV_VALIDATOR_BOUND']);
});

test('revoking an operator CA is up to the operators, since the root issued it', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const revoke = chain.propose(op('op1').admin, 'revoke', { cert: op('op3').ca.certPem, reason: 'cessationOfOperation' });
  const first = await chain.block([revoke]);
  assert.deepEqual(codes(first), ['OK']);
  const proposal = await chain.proposal(idOf(revoke));
  assert.deepEqual(proposal?.clauses, [{ voters: ['op1', 'op2', 'op3'].map((name) => ({ name, weight: 1 })), threshold: 'MAJORITY' }]);
  const second = await chain.block([chain.vote(op('op2').ca, idOf(revoke))]);
  assert.deepEqual(names(second), ['node1', 'node2', 'node3', 'node4']);
  const record = chain.app.registry().revocations[0]!;
  assert.equal(record.issuerFingerprint, chain.app.registry().rootFingerprint);
  assert.equal(record.proposal, idOf(revoke));
  assert.deepEqual(codes(await chain.execute([chain.vote(op('op3').ca, idOf(revoke))])), ['GOV_UNKNOWN_SIGNER'], 'a revoked CA cannot sign');
});

test('no votes reject; a new rule governs later proposals, an open one keeps its own', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const admit = () => chain.propose(pki.authority, 'admit-operator', { cert: op('op4').ca.certPem, name: 'op4' });
  const refused = admit();
  await chain.block([refused, chain.vote(op('op1').admin, idOf(refused), false), chain.vote(op('op2').admin, idOf(refused), false)]);
  assert.equal((await chain.proposal(idOf(refused)))?.status, 'rejected', 'a majority of three can no longer be reached');

  const pending = admit();
  const setRule = chain.propose(pki.authority, 'set-rule', { rule: { action: 'admit-operator', clauses: [{ voters: 'authority', threshold: 'ALL' }] } });
  await chain.block([pending, setRule, ...['op1', 'op2'].map((o) => chain.vote(op(o).admin, idOf(setRule)))]);
  assert.equal((await chain.proposal(idOf(setRule)))?.status, 'open', 'set-rule needs every operator');
  await chain.block([chain.vote(op('op3').ca, idOf(setRule))]);
  assert.equal((await chain.proposal(idOf(setRule)))?.status, 'executed');
  assert.deepEqual(chain.app.registry().rules.find((r) => r.action === 'admit-operator')?.clauses, [{ voters: 'authority', threshold: 'ALL' }]);

  const quick = admit();
  await chain.block([quick]);
  assert.equal((await chain.proposal(idOf(quick)))?.status, 'executed', 'the authority alone admits now');
  // The proposal made under the old rule still needs the operators, and then cannot apply.
  await chain.block(['op1', 'op2'].map((o) => chain.vote(op(o).admin, idOf(pending))));
  const failed = await chain.proposal(idOf(pending));
  assert.equal(failed?.status, 'failed');
  assert.match(failed?.error ?? '', /^GOV_ALREADY_EXISTS: /);

  const unmeetable = await chain.execute([chain.propose(pki.authority, 'set-rule', { rule: { action: 'set-rule', clauses: [{ voters: 'app-owner', threshold: 'ALL' }] } })]);
  assert.deepEqual(codes(unmeetable), ['GOV_INVALID_ARGUMENT']);
});

test('open proposals expire at the first block past expiresAt', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const p = chain.propose(op('op1').admin, 'suspend-node', { name: 'node5' }, MINUTE);
  await chain.block([p]);
  await chain.block([], 30_000);
  assert.equal((await chain.proposal(idOf(p)))?.status, 'open');
  const before = (await chain.app.info()).stateRoot;
  const r = await chain.block([], 2 * MINUTE);
  const expired = await chain.proposal(idOf(p));
  assert.equal(expired?.status, 'expired');
  assert.equal(expired?.decidedHeight, r.height);
  assert.notDeepEqual(r.stateRoot, before);
  const short = await chain.execute([chain.propose(op('op1').admin, 'suspend-node', { name: 'node5' }, 59_000)]);
  assert.deepEqual(codes(short), ['GOV_EXPIRED'], 'less than a minute');
  chain.unsign(op('op1').admin);
  const long = await chain.execute([chain.propose(op('op1').admin, 'suspend-node', { name: 'node5' }, 31 * 24 * 60 * MINUTE)]);
  assert.deepEqual(codes(long), ['GOV_EXPIRED'], 'more than 30 days');
});

test('orgs: a registered org signs until it is suspended; expired and foreign certificates are refused', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const acme = await pki.issue('op1', 'org', 'acme');
  await chain.block([chain.propose(op('op1').admin, 'register-org', { cert: acme.certPem, name: 'acme', roles: ['developer', 'member'], trustCode: '91350100M000100Y43', contact: 'ops@acme.example' })]);
  assert.deepEqual(chain.app.registry().orgs.map((o) => [o.name, o.status, o.roles.join('+')]), [['acme', 'active', 'developer+member']]);
  const byOrg = chain.propose(acme, 'suspend-node', { name: 'node5' });
  assert.deepEqual(codes(await chain.block([byOrg])), ['OK'], 'an org may propose');
  assert.deepEqual((await chain.proposal(idOf(byOrg)))?.votes, [], 'but is no voter of it');
  await chain.block([chain.propose(op('op1').ca, 'suspend-org', { name: 'acme' })]);
  assert.equal(chain.app.registry().orgs[0]?.status, 'suspended');
  assert.deepEqual(codes(await chain.execute([chain.vote(acme, idOf(byOrg))])), ['GOV_UNKNOWN_SIGNER']);

  const old = await pki.issue('op2', 'node', 'node8', { now: new Date(T0 - 10 * 24 * 3600_000), days: 1 });
  const expired = await chain.execute([chain.propose(op('op2').admin, 'add-node', { cert: old.certPem, region: 'south' })]);
  assert.deepEqual(codes(expired), ['GOV_INVALID_ARGUMENT']);
  chain.unsign(op('op2').admin);
  const orgAsNode = await chain.execute([chain.propose(op('op2').admin, 'add-node', { cert: acme.certPem, region: 'south' })]);
  assert.deepEqual(codes(orgAsNode), ['GOV_INVALID_ARGUMENT'], 'an org certificate is no node certificate');
  chain.unsign(op('op2').admin);
  const check = await chain.app.checkTx(chain.propose(op('op2').admin, 'add-node', { cert: acme.certPem, region: 'south' }), 'new');
  assert.ok(!check.ok && check.code === 'TX_INVALID' && /^GOV_INVALID_ARGUMENT: .*role org, a node certificate is needed/.test(check.reason), JSON.stringify(check));
});

test('queries: nonce, proposal, result, validators; unknown paths and bad data are QueryErrors', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const p = chain.propose(pki.authority, 'set-plan', { plan: { name: 'basic', requestsPerSecond: 5, txPerDay: 10, storageMiB: 1, pricePerNodeMonth: 990, currency: 'CNY' } });
  const bad = chain.vote(op('op1').admin, 'cd'.repeat(32));
  await chain.block([p, bad]);
  const json = async (path: string, data = new Uint8Array()) => {
    const { value } = await chain.app.query(path, data);
    return value === undefined ? undefined : JSON.parse(Buffer.from(value).toString('utf8'));
  };
  assert.equal(await json('nonce', te.encode(pki.authority.fingerprint)), 1);
  assert.equal(await json('nonce', te.encode(op('op1').admin.fingerprint)), 0, 'the failed vote used no nonce');
  assert.equal((await json('proposal', te.encode(idOf(p))))?.status, 'executed');
  assert.equal(await json('proposal', te.encode('ee'.repeat(32))), undefined);
  assert.deepEqual((await json('plans')).map((x: { name: string }) => x.name), ['basic']);
  assert.equal((await json('validators')).length, 5);
  assert.equal((await json('registry')).height, 1);
  const result = (i: number) => chain.app.query('result', encode([1, i])).then((r) => decode(r.value!));
  assert.deepEqual(await result(0), [true, 'OK', true]);
  assert.deepEqual(await result(1), [false, 'GOV_UNKNOWN_PROPOSAL', false]);
  await assert.rejects(chain.app.query('nope', new Uint8Array()), QueryError);
  await assert.rejects(chain.app.query('nonce', te.encode('zz')), QueryError);
  await assert.rejects(chain.app.query('proposal', te.encode('XYZ')), QueryError);
});

test('prepareProposal leaves out what would fail, within the limits', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const p = chain.propose(op('op1').admin, 'suspend-node', { name: 'node5' });
  const vote = chain.vote(op('op2').admin, idOf(p));
  const again = chain.sign(op('op2').ca, 'vote', votePayload(idOf(p), true));
  const gap = chain.sign(pki.authority, 'vote', votePayload(idOf(p), true), 7);
  const stranger = chain.vote(nodes['node1']!, idOf(p));
  const chosen = await chain.app.prepareProposal([p, vote, again, gap, stranger], { maxBytes: 1 << 20, maxTxs: 10 });
  assert.deepEqual(chosen, [p, vote], 'op2 voted once; a nonce gap and an unknown signer are left out');
  assert.deepEqual(await chain.app.prepareProposal([p, vote], { maxBytes: p.length, maxTxs: 10 }), [p]);
  assert.deepEqual(await chain.app.prepareProposal([p, vote], { maxBytes: 1 << 20, maxTxs: 1 }), [p]);
});

test('property: mutated txs in a block give result codes, never an exception, and change nothing when they fail', async () => {
  const chain = await GovChain.start(genesis, dirs);
  const root = (await chain.app.info()).stateRoot;
  const seeds = [
    chain.propose(op('op1').admin, 'suspend-node', { name: 'node5' }),
    chain.vote(op('op2').admin, 'ab'.repeat(32)),
    chain.propose(pki.authority, 'set-rule', { rule: { action: 'revoke', clauses: [{ voters: 'operators', threshold: { fraction: [2, 3] } }] } }),
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (seed, edits) => {
      const tx = Uint8Array.from(seed);
      for (const [at, byte] of edits) tx[at % tx.length] = byte;
      const r = await chain.execute([tx]);
      if (!r.results[0]!.ok) assert.deepEqual(r.stateRoot, root);
    }),
    { numRuns: 150 },
  );
  // Out-of-range numbers inside a well-signed tx: a far expiry, a huge nonce.
  const far = chain.sign(pki.authority, 'propose', proposePayload('set-plan', {}, Number.MAX_SAFE_INTEGER), 0);
  assert.deepEqual(codes(await chain.execute([far])), ['GOV_EXPIRED']);
  const huge = chain.sign(pki.authority, 'propose', proposePayload('set-plan', {}, T0 + 2 * MINUTE), Number.MAX_SAFE_INTEGER);
  assert.deepEqual(codes(await chain.execute([huge])), ['GOV_BAD_NONCE']);
});
