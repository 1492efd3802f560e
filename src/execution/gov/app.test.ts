import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { decode, encode, type CodecValue } from '../../codec/index.js';
import { ecdsaP256 } from '../../crypto/index.js';
import type { ExecutionResult } from '../application.js';
import { GenesisError } from '../errors.js';
import { GovApplication } from './app.js';
import { GovChain as Chain, genesisOf, makeGovPki, MINUTE, type GovPki, type Identity } from './gov.fixture.js';
import { govProposalId, votePayload } from './tx.js';
import type { GovRegistry, ProposalRecord } from './types.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let pki: GovPki;
let nodes: Record<string, Identity>;
let genesis: { chainId: string; time: number; appState: CodecValue };
const T0 = Date.now();
const dirs: string[] = [];

before(async () => {
  pki = await makeGovPki(['op1', 'op2', 'op3', 'op4']);
  nodes = {};
  for (const [name, op] of [['node1', 'op1'], ['node2', 'op1'], ['node3', 'op2'], ['node4', 'op2'], ['node5', 'op3'], ['node6', 'op4']] as const) {
    nodes[name] = await pki.issue(op, 'node', name);
  }
  const state = genesisOf(pki, ['op1', 'op2'], [1, 2, 3, 4].map((i) => ({ node: nodes[`node${i}`]!, operator: i <= 2 ? 'op1' : 'op2' })));
  genesis = { chainId: 'gov', time: T0, appState: state as unknown as CodecValue };
});
after(() => {
  pki.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const op = (name: string) => pki.operators.get(name)!;
const idOf = (tx: Uint8Array) => govProposalId(ecdsaP256, tx);
const codes = (r: ExecutionResult) => r.results.map((x) => x.code);

/** The acceptance flow; returns the chain after it, for the tests that build on it. */
async function acceptanceFlow(): Promise<{ chain: Chain; results: ExecutionResult[] }> {
  const chain = await Chain.start(genesis, dirs);
  const results: ExecutionResult[] = [];
  const admit = chain.propose(pki.authority, 'admit-operator', { cert: op('op3').ca.certPem, name: 'op3' });
  results.push(await chain.block([admit, chain.vote(op('op1').admin, idOf(admit)), chain.vote(op('op2').ca, idOf(admit))]));
  const addNode = chain.propose(op('op3').ca, 'add-node', { cert: nodes['node5']!.certPem + op('op3').ca.certPem, region: 'east', city: 'xiamen', p2p: 'node5.example:26656', power: 1 });
  results.push(await chain.block([addNode]));
  results.push(await chain.block([chain.vote(op('op1').admin, idOf(addNode))]));
  const revoke = chain.propose(op('op1').admin, 'revoke', { cert: nodes['node3']!.certPem, reason: 'keyCompromise' });
  results.push(await chain.block([revoke, chain.vote(op('op2').admin, idOf(revoke))]));
  const org = await pki.issue('op3', 'org', 'acme');
  results.push(await chain.block([chain.propose(op('op3').ca, 'register-org', { cert: org.certPem, name: 'acme', roles: ['developer'], trustCode: '91350100M000100Y43' })]));
  return { chain, results };
}

test('acceptance: admit op3, add node5, revoke node3, register an org', async () => {
  const { chain, results } = await acceptanceFlow();
  const [admit, propose5, vote5, revoke, org] = results as [ExecutionResult, ExecutionResult, ExecutionResult, ExecutionResult, ExecutionResult];
  assert.deepEqual(codes(admit), ['OK', 'OK', 'OK']);
  assert.equal(admit.nextValidators, undefined, 'admitting an operator adds no validator');
  assert.deepEqual(codes(propose5), ['OK']);
  assert.equal(propose5.nextValidators, undefined, 'concerned op3 voted, the operators majority has not');
  assert.deepEqual(vote5.nextValidators?.map((v) => v.name), ['node1', 'node2', 'node3', 'node4', 'node5']);
  assert.deepEqual(vote5.nextValidators?.[4]?.publicKey, ecdsaP256.importPublicKeyBytes(vote5.nextValidators![4]!.publicKey).bytes);
  assert.deepEqual(codes(revoke), ['OK', 'OK']);
  assert.deepEqual(revoke.nextValidators?.map((v) => v.name), ['node1', 'node2', 'node4', 'node5']);
  assert.deepEqual(codes(org), ['OK']);
  assert.equal(org.nextValidators, undefined);

  const reg = chain.app.registry();
  assert.equal(reg.height, 5);
  assert.equal(reg.minValidators, 4);
  assert.deepEqual(reg.operators.map((o) => [o.name, o.status]), [['op1', 'active'], ['op2', 'active'], ['op3', 'active']]);
  assert.equal(reg.nodes.find((n) => n.name === 'node5')?.operator, 'op3');
  assert.equal(reg.nodes.find((n) => n.name === 'node5')?.city, 'xiamen');
  assert.equal(reg.nodes.find((n) => n.name === 'node5')?.certPem, nodes['node5']!.certPem, 'the leaf of the chain file, as one PEM block');
  assert.equal(reg.revocations.length, 1);
  const r = reg.revocations[0]!;
  assert.equal(r.fingerprint, nodes['node3']!.fingerprint);
  assert.equal(r.reason, 'keyCompromise');
  assert.equal(r.issuerFingerprint, op('op2').ca.fingerprint);
  assert.equal(r.height, 4);
  assert.deepEqual(reg.orgs.map((o) => [o.name, o.operator, o.trustCode]), [['acme', 'op3', '91350100M000100Y43']]);
  const validators = JSON.parse(Buffer.from((await chain.app.query('validators', new Uint8Array())).value!).toString('utf8'));
  assert.deepEqual(validators.map((v: { name: string }) => v.name), ['node1', 'node2', 'node4', 'node5']);
  const proposals: ProposalRecord[] = JSON.parse(Buffer.from((await chain.app.query('proposals', new Uint8Array())).value!).toString('utf8'));
  assert.equal(proposals.length, 4);
  assert.ok(proposals.every((p) => p.status === 'executed'));
  assert.equal(proposals[0]!.action, 'register-org', 'newest first');
  const admitted = proposals.find((p) => p.action === 'admit-operator')!;
  assert.deepEqual(admitted.votes.map((v) => v.voter), ['authority', 'op1', 'op2']);
  assert.deepEqual(admitted.clauses.map((c) => c.voters.map((v) => v.name)), [['authority'], ['op1', 'op2']]);
});

/** Executes `tx` on the committed state: it must fail with `code` and leave the root as an empty block does. */
async function expectRefused(chain: Chain, tx: Uint8Array, code: string, advance = 1000): Promise<void> {
  const empty = await chain.execute([], advance);
  const result = await chain.execute([tx], advance);
  assert.deepEqual(codes(result), [code]);
  assert.deepEqual(result.stateRoot, empty.stateRoot, `${code} changed the state`);
  assert.equal(result.nextValidators, undefined);
  if (advance === 1000) {
    // The same verdict at admission (checkTx uses the last block's time).
    const check = await chain.app.checkTx(tx, 'new');
    assert.equal(check.ok, false, `checkTx admitted a tx execution refuses with ${code}`);
    assert.ok(!check.ok && check.reason.startsWith(`${code}: `), !check.ok ? check.reason : '');
  }
}

test('bad inputs fail with their code and change nothing', async () => {
  const { chain } = await acceptanceFlow();
  const rootBefore = (await chain.app.info()).stateRoot;
  const registry = JSON.stringify(chain.app.registry());

  const forged = Uint8Array.from(chain.propose(pki.authority, 'set-plan', { plan: { name: 'basic', requestsPerSecond: 10, txPerDay: 1000, storageMiB: 64, pricePerNodeMonth: 100, currency: 'CNY' } }));
  chain.unsign(pki.authority);
  forged[forged.length - 5]! ^= 1;
  const res = await chain.execute([forged]);
  assert.deepEqual(codes(res), ['GOV_BAD_SIGNATURE']);
  assert.deepEqual(res.stateRoot, rootBefore);

  // Unsigned: the same tx with an empty signature.
  const fields = [...(decode(forged) as CodecValue[])];
  fields[6] = new Uint8Array(0);
  await expectRefused(chain, encode(fields), 'GOV_MALFORMED');

  await expectRefused(chain, chain.propose(nodes['node1']!, 'set-plan', { plan: { name: 'x', requestsPerSecond: 1, txPerDay: 1, storageMiB: 1, pricePerNodeMonth: 1, currency: 'CNY' } }), 'GOV_UNKNOWN_SIGNER');
  chain.unsign(nodes['node1']!);

  // The authority is not a voter of an add-node proposal; op1 votes twice under two certificates.
  const node6 = await pki.issue('op3', 'node', 'node7');
  const addNode = chain.propose(op('op3').ca, 'add-node', { cert: node6.certPem, region: 'west' });
  await chain.block([addNode]);
  await expectRefused(chain, chain.vote(pki.authority, idOf(addNode)), 'GOV_NOT_VOTER');
  chain.unsign(pki.authority);
  await chain.block([chain.vote(op('op1').admin, idOf(addNode), false)]);
  assert.equal((await chain.proposal(idOf(addNode)))?.status, 'open', 'op2 may still make the majority');
  await expectRefused(chain, chain.vote(op('op1').ca, idOf(addNode)), 'GOV_DUPLICATE_VOTE');
  chain.unsign(op('op1').ca);

  // A vote after the proposal's expiry.
  const short = chain.propose(op('op2').admin, 'suspend-org', { name: 'acme' }, MINUTE);
  await chain.block([short]);
  assert.equal((await chain.proposal(idOf(short)))?.expiresAt, chain.time + 60_000);
  await expectRefused(chain, chain.vote(op('op3').ca, idOf(short)), 'GOV_EXPIRED', 2 * MINUTE);
  chain.unsign(op('op3').ca);

  await expectRefused(chain, chain.propose(pki.authority, 'make-coffee', {}), 'GOV_UNKNOWN_ACTION');
  chain.unsign(pki.authority);
  const org2 = await pki.issue('op1', 'org', 'beta');
  await expectRefused(chain, chain.propose(op('op1').admin, 'register-org', { cert: org2.certPem, name: 'beta', roles: ['member'], trustCode: '91350100M000100Y44' }), 'GOV_INVALID_TRUST_CODE');
  chain.unsign(op('op1').admin);
  await expectRefused(chain, chain.propose(op('op1').admin, 'add-node', { cert: nodes['node6']!.certPem, region: 'east' }), 'GOV_OPERATOR_NOT_ADMITTED');
  chain.unsign(op('op1').admin);
  await expectRefused(chain, chain.propose(op('op1').admin, 'revoke', { cert: pki.rootPem, reason: 'cACompromise' }), 'GOV_ROOT_NOT_REVOCABLE');
  chain.unsign(op('op1').admin);
  // Four validators are left and the genesis four need f = 1: no node may go.
  await expectRefused(chain, chain.propose(op('op2').admin, 'suspend-node', { name: 'node4' }), 'GOV_VALIDATOR_BOUND');
  chain.unsign(op('op2').admin);
  await expectRefused(chain, chain.propose(op('op1').admin, 'revoke', { cert: nodes['node3']!.certPem, reason: 'superseded' }), 'GOV_ALREADY_EXISTS');
  chain.unsign(op('op1').admin);
  await expectRefused(chain, chain.vote(op('op1').admin, 'ab'.repeat(32)), 'GOV_UNKNOWN_PROPOSAL');
  chain.unsign(op('op1').admin);
  await expectRefused(chain, chain.propose(op('op1').admin, 'suspend-node', { name: 'node4', extra: 1 }), 'GOV_INVALID_ARGUMENT');
  chain.unsign(op('op1').admin);
  await expectRefused(chain, chain.sign(op('op1').admin, 'vote', votePayload(idOf(addNode), true), 0), 'GOV_NONCE_TOO_LOW');
  const gap = chain.sign(op('op1').admin, 'vote', votePayload(idOf(addNode), true), 99);
  await expectRefused(chain, gap, 'GOV_BAD_NONCE', 999);
  // The mempool holds a later nonce until the txs before it come: checkTx only checks its signer.
  assert.deepEqual(await chain.app.checkTx(gap, 'new'), { ok: true, sender: op('op1').admin.fingerprint, nonce: 99, nextNonce: 4, priority: 0 });
  assert.notEqual(JSON.stringify(chain.app.registry()), registry, 'the accepted txs above did change it');
});

test('a passed proposal whose action no longer applies is recorded failed', async () => {
  const { chain } = await acceptanceFlow();
  // Two proposals to suspend acme; the first to pass wins, the second fails at execution.
  const a = chain.propose(op('op3').ca, 'suspend-org', { name: 'acme' });
  const b = chain.propose(op('op3').ca, 'suspend-org', { name: 'acme' });
  const result = await chain.block([a]);
  assert.deepEqual(codes(result), ['OK']);
  assert.equal((await chain.proposal(idOf(a)))?.status, 'executed');
  const second = await chain.execute([b]);
  assert.deepEqual(codes(second), ['GOV_INVALID_ARGUMENT'], 'refused at propose time: acme is suspended');
  assert.equal(chain.app.registry().orgs[0]?.status, 'suspended');
});

test('determinism: two instances, the same blocks, the same roots; restart keeps registry and root', async () => {
  const one = await acceptanceFlow();
  const two = await acceptanceFlow();
  // The flows sign afresh (ECDSA is randomized), so replay one's blocks on a third chain instead.
  assert.deepEqual(two.chain.app.registry().nodes.map((n) => n.name), one.chain.app.registry().nodes.map((n) => n.name));
  const replay = await Chain.start(genesis, dirs);
  for (const [i, txs] of one.chain.blocks.entries()) {
    const r = await replay.block(txs);
    assert.deepEqual(hex(r.stateRoot), hex(one.results[i]!.stateRoot), `height ${i + 1}`);
    assert.deepEqual(hex(r.resultsRoot), hex(one.results[i]!.resultsRoot));
  }
  const before: GovRegistry = one.chain.app.registry();
  const info = await one.chain.app.info();
  await one.chain.reopen();
  assert.deepEqual(one.chain.app.registry(), before);
  assert.deepEqual(await one.chain.app.info(), info);
  // After the restart both go on alike.
  const plan = { plan: { name: 'basic', requestsPerSecond: 10, txPerDay: 1000, storageMiB: 64, pricePerNodeMonth: 100, currency: 'CNY' } };
  const tx = one.chain.propose(pki.authority, 'set-plan', plan);
  const a = await one.chain.block([tx]);
  const b = await replay.block([tx]);
  assert.deepEqual(codes(a), ['OK']);
  assert.deepEqual(hex(a.stateRoot), hex(b.stateRoot));
  assert.deepEqual(one.chain.app.registry().plans, [plan.plan]);
});

test('initChain refuses a genesis whose certificates do not verify', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-gov-db-'));
  dirs.push(dir);
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  const app = await GovApplication.open(db, 'gov', { suite: ecdsaP256 });
  const good = genesis.appState as unknown as ReturnType<typeof genesisOf>;
  const foreignNode = { ...good, nodes: [...good.nodes, { certPem: nodes['node6']!.certPem, operator: 'op4', region: 'east' }] };
  await assert.rejects(app.initChain({ ...genesis, appState: foreignNode as unknown as CodecValue }), GenesisError);
  const wrongOperator = { ...good, nodes: [{ ...good.nodes[0]!, operator: 'op2' }, ...good.nodes.slice(1)] };
  await assert.rejects(app.initChain({ ...genesis, appState: wrongOperator as unknown as CodecValue }), GenesisError);
  const lateCa = { ...good, operators: [...good.operators, { name: 'op9', caCertPem: nodes['node1']!.certPem, adminCertPems: [] }] };
  await assert.rejects(app.initChain({ ...genesis, appState: lateCa as unknown as CodecValue }), GenesisError);
  assert.equal((await app.info()).height, 0);
  assert.deepEqual(GovApplication.validatorsOf(genesis.appState, T0).map((v) => [v.name, v.power]), [['node1', 1], ['node2', 1], ['node3', 1], ['node4', 1]]);
  await db.close();
});
