import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CodecValue } from '../../codec/index.js';
import { ecdsaP256 } from '../../crypto/index.js';
import { issueLeaf } from '../../pki/index.js';
import type { ExecutionResult, Genesis } from '../application.js';
import { appGenesis, appValidators, evmChainIdFor, EVM_CHAIN_ID_MAX, EVM_CHAIN_ID_MIN } from './app-view.js';
import { GovChain as Chain, genesisOf, makeGovPki, type GovPki, type Identity } from './gov.fixture.js';
import { govProposalId } from './tx.js';
import type { AppRecord, PlanRecord } from './types.js';

/*
 * Issue 13's records on gov: apps created by a developer org and approved by the operators of
 * their nodes, members invited and joining, users, placement changes, freeze and retire, and
 * every bad input refused with its typed error and no state change. Genesis: op1 (node1, node2),
 * op2 (node3, node4, node5); orgs are registered by the tests, as `bsn gov propose register-org`.
 */

let pki: GovPki;
let nodes: Record<string, Identity>;
let genesis: Genesis;
let orgs: Record<string, Identity>;
const T0 = Date.now();
const dirs: string[] = [];
const te = new TextEncoder();
const ALICE = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const PLANS: PlanRecord[] = [
  { name: 'basic', requestsPerSecond: 50, txPerDay: 100_000, storageMiB: 1024, pricePerNodeMonth: 9_900, currency: 'CNY' },
  { name: 'standard', requestsPerSecond: 200, txPerDay: 1_000_000, storageMiB: 10_240, pricePerNodeMonth: 49_900, currency: 'CNY' },
];

before(async () => {
  pki = await makeGovPki(['op1', 'op2', 'op3']);
  nodes = {};
  const owners = { node1: 'op1', node2: 'op1', node3: 'op2', node4: 'op2', node5: 'op2' } as const;
  for (const [name, op] of Object.entries(owners)) nodes[name] = await pki.issue(op, 'node', name);
  nodes['node9'] = await pki.issue('op3', 'node', 'node9');
  orgs = { acme: await pki.issue('op1', 'org', 'acme'), beta: await pki.issue('op2', 'org', 'beta'), gamma: await pki.issue('op1', 'org', 'gamma') };
  const state = genesisOf(pki, ['op1', 'op2'], Object.entries(owners).map(([name, operator]) => ({ node: nodes[name]!, operator })));
  genesis = { chainId: 'gov', time: T0, appState: { ...state, plans: PLANS } as unknown as CodecValue };
});
after(() => {
  pki.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const op = (name: string) => pki.operators.get(name)!.admin;
const idOf = (tx: Uint8Array) => govProposalId(ecdsaP256, tx);
const codes = (r: ExecutionResult) => r.results.map((x) => x.code);
const ALL4 = ['node1', 'node2', 'node3', 'node4'];

async function appOf(chain: Chain, id: string): Promise<(AppRecord & { proposal?: string }) | undefined> {
  const { value } = await chain.app.query('app', te.encode(id));
  return value && JSON.parse(Buffer.from(value).toString('utf8'));
}

/** A chain with acme (developer), beta (member) and gamma (member, developer) registered by their operators. */
async function withOrgs(): Promise<Chain> {
  const chain = await Chain.start(genesis, dirs);
  const reg = (by: string, name: string, roles: string[]) => chain.propose(op(by), 'register-org', { cert: orgs[name]!.certPem, name, roles, trustCode: '91350100M000100Y43' });
  const r = await chain.block([reg('op1', 'acme', ['developer']), reg('op2', 'beta', ['member']), reg('op1', 'gamma', ['member', 'developer'])]);
  assert.deepEqual(codes(r), ['OK', 'OK', 'OK'], 'register-org passes on its operator\'s yes');
  return chain;
}

/** create-app by acme, approved by op1 and op2 (the operators of node1..node4). */
async function createLedger(chain: Chain, extra: Record<string, unknown> = {}): Promise<ExecutionResult> {
  const create = chain.propose(orgs['acme']!, 'create-app', { id: 'ledger', framework: 'evm', placement: ALL4, keyMode: 'upload', ...extra });
  assert.deepEqual(codes(await chain.block([create, chain.vote(op('op1'), idOf(create))])), ['OK', 'OK']);
  return chain.block([chain.vote(op('op2'), idOf(create))]);
}

/**
 * Executes one proposal that must fail with `code`, and checks that checkTx refuses it too, with
 * the code first in its reason, and that the state root is the committed one.
 */
async function refused(chain: Chain, who: Identity, action: string, args: Record<string, unknown>, code: string): Promise<void> {
  const tx = chain.propose(who, action, args);
  chain.unsign(who);
  const root = (await chain.app.info()).stateRoot;
  const r = await chain.execute([tx]);
  assert.deepEqual(codes(r), [code], `${action} ${JSON.stringify(args)}`);
  assert.deepEqual(r.stateRoot, root, `${action}: no state change`);
  const check = await chain.app.checkTx(tx, 'new');
  assert.equal(check.ok, false);
  assert.match(check.ok ? '' : check.reason, new RegExp(`^${code}: `));
}

test('acceptance: acme creates ledger on 4 nodes; op1 and op2 approve; it is active with its evm chain id and genesis', async () => {
  const chain = await withOrgs();
  const create = chain.propose(orgs['acme']!, 'create-app', { id: 'ledger', framework: 'evm', placement: ALL4, keyMode: 'upload' });
  await chain.block([create, chain.vote(op('op1'), idOf(create))]);
  const proposal = await chain.proposal(idOf(create));
  assert.equal(proposal?.status, 'open', 'acme is not a voter; op2 has not voted');
  assert.deepEqual(proposal?.clauses, [{ voters: [{ name: 'op1', weight: 1 }, { name: 'op2', weight: 1 }], threshold: 'ALL' }]);
  const proposed = await appOf(chain, 'ledger');
  assert.equal(proposed?.status, 'proposed');
  assert.equal(proposed?.proposal, idOf(create));
  assert.equal(chain.app.registry().apps.length, 0, 'no record before the deciding vote');

  const decided = await chain.block([chain.vote(op('op2'), idOf(create))]);
  assert.deepEqual(codes(decided), ['OK']);
  assert.equal(decided.nextValidators, undefined, 'an app changes nothing in gov\'s validator set');
  const app = (await appOf(chain, 'ledger'))!;
  assert.equal(app.status, 'active');
  assert.equal(app.owner, 'acme');
  assert.equal(app.name, 'ledger');
  assert.equal(app.suite, 'ecdsa-p256');
  assert.equal(app.keyMode, 'upload');
  assert.deepEqual(app.placement, ALL4);
  assert.equal(app.minValidators, 4);
  assert.equal(app.f, 1);
  assert.equal(app.industry, 'other');
  assert.equal(app.plan, 'basic', 'the cheapest plan by default');
  assert.deepEqual(app.price, { perNodeMonth: 9_900, nodes: 4, perMonth: 39_600, currency: 'CNY' });
  assert.equal(app.genesisTime, chain.time, 'the deciding block\'s time');
  assert.equal(app.activatedHeight, decided.height);
  assert.equal(app.evmChainId, evmChainIdFor('ledger', new Set()));
  assert.ok(app.evmChainId! >= EVM_CHAIN_ID_MIN && app.evmChainId! <= EVM_CHAIN_ID_MAX);
  assert.deepEqual(app.roles.map((r) => r.name), ['deployer', 'user']);
  assert.deepEqual((await chain.proposal(idOf(create)))?.args['owner'], 'acme');

  const registry = chain.app.registry();
  const genesisOfLedger = appGenesis(registry, 'ledger')!;
  assert.deepEqual(
    { ...genesisOfLedger, validators: genesisOfLedger.validators.map((v) => v.name) },
    { chainId: 'ledger', suite: 'ecdsa-p256', app: 'evm', time: app.genesisTime, validators: ALL4, appState: { chainId: app.evmChainId, alloc: {} } },
  );
  assert.deepEqual(genesisOfLedger.validators[0], { name: 'node1', publicKey: registry.nodes[0]!.publicKey, power: 1 });
  const vset = appValidators(registry, 'ledger');
  assert.deepEqual(vset.map((v) => v.name), ALL4);
  assert.deepEqual(vset[0]!.publicKey, ecdsaP256.importPublicKeyBytes(vset[0]!.publicKey).bytes);
  assert.equal(appGenesis(registry, 'nope'), undefined);
  assert.deepEqual(appValidators(registry, 'nope'), []);

  // The record survives a restart.
  await chain.reopen();
  assert.deepEqual(await appOf(chain, 'ledger'), app);
});

test('acceptance: invite, join, approve; add-app-user with an address; removing node1 breaks the minimum of 4', async () => {
  const chain = await withOrgs();
  await createLedger(chain);
  const invite = await chain.block([chain.propose(orgs['acme']!, 'invite-member', { app: 'ledger', org: 'beta' })]);
  assert.deepEqual(codes(invite), ['OK']);
  assert.deepEqual((await appOf(chain, 'ledger'))?.members.map((m) => [m.org, m.status]), [['beta', 'invited']], 'the owner\'s proposal passes at once');

  const join = chain.propose(orgs['beta']!, 'join-app', { app: 'ledger', role: 'user', node: 'node3' });
  await chain.block([join]);
  const accepted = (await appOf(chain, 'ledger'))!.members[0]!;
  assert.deepEqual([accepted.status, accepted.role, accepted.node], ['accepted', 'user', 'node3'], 'the app view shows the open join');
  assert.equal(chain.app.registry().apps[0]!.members[0]!.status, 'invited', 'the record: still invited');
  await chain.block([chain.vote(orgs['acme']!, idOf(join))]);
  const member = chain.app.registry().apps[0]!.members[0]!;
  assert.deepEqual([member.org, member.status, member.role, member.node], ['beta', 'active', 'user', 'node3']);

  const addAlice = await chain.block([chain.propose(orgs['acme']!, 'add-app-user', { app: 'ledger', name: 'alice', address: ALICE, role: 'deployer' })]);
  assert.deepEqual(codes(addAlice), ['OK']);
  const bob = chain.propose(orgs['beta']!, 'add-app-user', { app: 'ledger', name: 'bob', address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', role: 'user' });
  await chain.block([bob]);
  assert.equal((await chain.proposal(idOf(bob)))?.status, 'open', 'a member\'s user waits for the owner');
  await chain.block([chain.vote(orgs['acme']!, idOf(bob))]);
  assert.deepEqual(chain.app.registry().apps[0]!.users, [
    { name: 'alice', org: 'acme', role: 'deployer', address: ALICE.toLowerCase() },
    { name: 'bob', org: 'beta', role: 'user', address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8' },
  ]);

  await refused(chain, orgs['acme']!, 'place-app', { app: 'ledger', remove: ['node1'] }, 'GOV_APP_MINIMUM');
  // A move keeps 4: allowed, and node5's operator op2 must agree, as must node1's op1.
  const move = chain.propose(orgs['acme']!, 'place-app', { app: 'ledger', add: ['node5'], remove: ['node1'] });
  await chain.block([move, chain.vote(op('op1'), idOf(move))]);
  assert.equal((await chain.proposal(idOf(move)))?.status, 'open');
  await chain.block([chain.vote(op('op2'), idOf(move))]);
  assert.deepEqual(chain.app.registry().apps[0]!.placement, ['node2', 'node3', 'node4', 'node5']);
  assert.deepEqual(appValidators(chain.app.registry(), 'ledger').map((v) => v.name), ['node2', 'node3', 'node4', 'node5']);
  assert.deepEqual(appGenesis(chain.app.registry(), 'ledger')!.validators.map((v) => v.name), ALL4, 'the genesis stays the one of activation');
});

test('minValidators 3 at creation: removing node1 from 4 passes with op1 and the owner; f drops to 0', async () => {
  const chain = await withOrgs();
  await createLedger(chain, { minValidators: 3, plan: 'standard', industry: 'finance', name: 'Ledger' });
  const app = chain.app.registry().apps[0]!;
  assert.deepEqual([app.minValidators, app.f, app.plan, app.industry, app.name, app.price.perMonth], [3, 1, 'standard', 'finance', 'Ledger', 4 * 49_900]);
  const remove = chain.propose(orgs['acme']!, 'place-app', { app: 'ledger', remove: ['node1'] });
  await chain.block([remove]);
  const p = await chain.proposal(idOf(remove));
  assert.deepEqual(p?.clauses.map((c) => c.voters.map((v) => v.name)), [['op1'], ['acme']], 'concerned: node1\'s operator; app-owner: acme');
  await chain.block([chain.vote(op('op1'), idOf(remove))]);
  const after = chain.app.registry().apps[0]!;
  assert.deepEqual([after.placement, after.f, after.minValidators], [['node2', 'node3', 'node4'], 0, 3]);
  assert.deepEqual(appValidators(chain.app.registry(), 'ledger').map((v) => v.name), ['node2', 'node3', 'node4']);
  await refused(chain, orgs['acme']!, 'place-app', { app: 'ledger', remove: ['node2'] }, 'GOV_APP_MINIMUM');
  // Default minimum below 4 nodes: every node placed.
  const small = chain.propose(orgs['gamma']!, 'create-app', { id: 'small', framework: 'kv', placement: ['node1', 'node2'] });
  await chain.block([small, chain.vote(op('op1'), idOf(small))]);
  const kv = chain.app.registry().apps.find((a) => a.id === 'small')!;
  assert.deepEqual([kv.status, kv.minValidators, kv.f, kv.evmChainId, kv.keyMode], ['active', 2, 0, undefined, 'hosted'], 'op1 alone is concerned');
});

test('bad inputs: each refused with its typed error and no state change, at admission and execution', async () => {
  const chain = await withOrgs();
  await createLedger(chain);
  const acme = orgs['acme']!;
  const base = { id: 'other', framework: 'evm', placement: ALL4 };
  await refused(chain, orgs['beta']!, 'create-app', base, 'GOV_NOT_DEVELOPER');
  await refused(chain, op('op1'), 'create-app', base, 'GOV_NOT_DEVELOPER');
  await refused(chain, acme, 'create-app', { ...base, id: 'ledger' }, 'GOV_APP_EXISTS');
  await refused(chain, acme, 'create-app', { ...base, id: 'gov' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, id: 'Bad_Id' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, placement: [] }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, placement: ['node1', 'node1'] }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, placement: ['node1', 'node9'] }, 'GOV_NODE_NOT_ACTIVE');
  await refused(chain, acme, 'create-app', { ...base, suite: 'sm2' }, 'GOV_UNSUPPORTED_SUITE');
  await refused(chain, acme, 'create-app', { ...base, minValidators: 5 }, 'GOV_APP_MINIMUM');
  await refused(chain, acme, 'create-app', { ...base, plan: 'gold' }, 'GOV_NOT_FOUND');
  await refused(chain, acme, 'create-app', { ...base, industry: 'mining' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, owner: 'gamma' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, roles: [{ name: 'w', kv: { prefixes: ['a/'] } }] }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'create-app', { ...base, roles: [{ name: 'x', evm: { deploy: false, calls: [{ contract: '*', selector: '0x123' }] } }] }, 'GOV_INVALID_ARGUMENT');
  const pending = chain.propose(acme, 'create-app', { ...base, id: 'pending' });
  await chain.block([pending]);
  await refused(chain, orgs['gamma']!, 'create-app', { ...base, id: 'pending' }, 'GOV_APP_EXISTS');

  await refused(chain, acme, 'invite-member', { app: 'nope', org: 'beta' }, 'GOV_UNKNOWN_APP');
  await refused(chain, acme, 'invite-member', { app: 'ledger', org: 'acme' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'invite-member', { app: 'ledger', org: 'nobody' }, 'GOV_NOT_FOUND');
  await refused(chain, orgs['beta']!, 'join-app', { app: 'ledger', role: 'user', node: 'node1' }, 'GOV_NOT_INVITED');
  await chain.block([chain.propose(acme, 'invite-member', { app: 'ledger', org: 'beta' })]);
  await refused(chain, acme, 'invite-member', { app: 'ledger', org: 'beta' }, 'GOV_ALREADY_EXISTS');
  await refused(chain, orgs['gamma']!, 'join-app', { app: 'ledger', role: 'user', node: 'node1' }, 'GOV_NOT_INVITED');
  await refused(chain, orgs['beta']!, 'join-app', { app: 'ledger', role: 'admin', node: 'node1' }, 'GOV_UNKNOWN_ROLE');
  await refused(chain, orgs['beta']!, 'join-app', { app: 'ledger', role: 'user', node: 'node5' }, 'GOV_NODE_NOT_PLACED');

  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'ledger', name: 'eve', address: ALICE, role: 'user' }, 'GOV_NOT_APP_PARTY');
  await refused(chain, acme, 'add-app-user', { app: 'ledger', name: 'eve', address: ALICE, role: 'root' }, 'GOV_UNKNOWN_ROLE');
  await refused(chain, acme, 'add-app-user', { app: 'ledger', name: 'eve', role: 'user' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'add-app-user', { app: 'ledger', name: 'eve', address: ALICE.replace('f39F', 'F39f'), role: 'user' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'add-app-user', { app: 'ledger', name: 'eve', address: '0x1234', role: 'user' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'remove-app-user', { app: 'ledger', name: 'eve' }, 'GOV_NOT_FOUND');
  await refused(chain, acme, 'remove-member', { app: 'ledger', org: 'gamma' }, 'GOV_NOT_FOUND');

  await refused(chain, acme, 'place-app', { app: 'ledger', add: ['node9'] }, 'GOV_NODE_NOT_ACTIVE');
  await refused(chain, acme, 'place-app', { app: 'ledger', add: ['node1'] }, 'GOV_NODE_NOT_PLACED');
  await refused(chain, acme, 'place-app', { app: 'ledger', remove: ['node5'] }, 'GOV_NODE_NOT_PLACED');
  await refused(chain, acme, 'place-app', { app: 'ledger' }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, acme, 'unfreeze-app', { app: 'ledger' }, 'GOV_INVALID_ARGUMENT');

  const freeze = chain.propose(op('op1'), 'freeze-app', { app: 'ledger' });
  await chain.block([freeze, chain.vote(op('op2'), idOf(freeze))]);
  assert.equal(chain.app.registry().apps.find((a) => a.id === 'ledger')?.status, 'frozen');
  await refused(chain, acme, 'invite-member', { app: 'ledger', org: 'gamma' }, 'GOV_APP_FROZEN');
  await refused(chain, orgs['beta']!, 'join-app', { app: 'ledger', role: 'user', node: 'node1' }, 'GOV_APP_FROZEN');
  await refused(chain, acme, 'add-app-user', { app: 'ledger', name: 'eve', address: ALICE, role: 'user' }, 'GOV_APP_FROZEN');
  await refused(chain, acme, 'place-app', { app: 'ledger', add: ['node5'] }, 'GOV_APP_FROZEN');
  await refused(chain, op('op1'), 'freeze-app', { app: 'ledger' }, 'GOV_APP_FROZEN');

  const retire = chain.propose(op('op2'), 'retire-app', { app: 'ledger' });
  await chain.block([retire, chain.vote(op('op1'), idOf(retire))]);
  assert.equal(chain.app.registry().apps.find((a) => a.id === 'ledger')?.status, 'retired');
  assert.deepEqual(appValidators(chain.app.registry(), 'ledger'), [], 'a retired app has no validators');
  await refused(chain, op('op1'), 'unfreeze-app', { app: 'ledger' }, 'GOV_APP_RETIRED');
  await refused(chain, acme, 'remove-member', { app: 'ledger', org: 'beta' }, 'GOV_APP_RETIRED');
  await refused(chain, acme, 'create-app', { ...base, id: 'ledger' }, 'GOV_APP_EXISTS');
});

test('at execution: a node suspended while create-app is open fails the proposal, and no app is made', async () => {
  const chain = await withOrgs();
  const create = chain.propose(orgs['acme']!, 'create-app', { id: 'late', framework: 'kv', placement: ['node1', 'node5'] });
  await chain.block([create, chain.vote(op('op1'), idOf(create))]);
  const suspend = chain.propose(op('op2'), 'suspend-node', { name: 'node5' });
  await chain.block([suspend, chain.vote(op('op1'), idOf(suspend))]);
  assert.equal(chain.app.registry().nodes.find((n) => n.name === 'node5')?.status, 'suspended');
  await chain.block([chain.vote(op('op2'), idOf(create))]);
  const p = await chain.proposal(idOf(create));
  assert.equal(p?.status, 'failed');
  assert.match(p?.error ?? '', /^GOV_NODE_NOT_ACTIVE: node 'node5' is suspended/);
  assert.equal(await appOf(chain, 'late'), undefined);
  assert.equal(chain.app.registry().apps.length, 0);
});

test('at execution: a join whose invitation was withdrawn meanwhile fails; so does a move onto a node suspended meanwhile', async () => {
  const chain = await withOrgs();
  const acme = orgs['acme']!;
  await createLedger(chain, { minValidators: 3 });
  await chain.block([chain.propose(acme, 'invite-member', { app: 'ledger', org: 'beta' })]);
  const join = chain.propose(orgs['beta']!, 'join-app', { app: 'ledger', role: 'user', node: 'node1' });
  await chain.block([join, chain.propose(acme, 'remove-member', { app: 'ledger', org: 'beta' })]);
  await chain.block([chain.vote(acme, idOf(join))]);
  const failed = await chain.proposal(idOf(join));
  assert.equal(failed?.status, 'failed');
  assert.match(failed?.error ?? '', /^GOV_NOT_INVITED: /);
  assert.equal(chain.app.registry().apps[0]!.members[0]!.status, 'removed');

  const move = chain.propose(acme, 'place-app', { app: 'ledger', add: ['node5'], remove: ['node1'] });
  await chain.block([move, chain.vote(op('op1'), idOf(move))]);
  const suspend = chain.propose(op('op2'), 'suspend-node', { name: 'node5' });
  await chain.block([suspend, chain.vote(op('op1'), idOf(suspend))]);
  await chain.block([chain.vote(op('op2'), idOf(move))]);
  assert.match((await chain.proposal(idOf(move)))?.error ?? '', /^GOV_NODE_NOT_ACTIVE: /);
  assert.deepEqual(chain.app.registry().apps[0]!.placement, ALL4);
});

test('property: arbitrary arguments to the app actions give a result code, never an exception, and no change when refused', async () => {
  const chain = await withOrgs();
  await createLedger(chain);
  const root = (await chain.app.info()).stateRoot;
  const actions = ['create-app', 'invite-member', 'join-app', 'remove-member', 'add-app-user', 'remove-app-user', 'place-app', 'freeze-app', 'unfreeze-app', 'retire-app'];
  const value = fc.oneof(fc.constantFrom('ledger', 'beta', 'node1', 'node9', 'user', ALICE, '*', 'evm', 'kv'), fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
  const args = fc.dictionary(fc.constantFrom('id', 'app', 'org', 'name', 'role', 'node', 'framework', 'placement', 'add', 'remove', 'address', 'cert', 'roles', 'minValidators'), fc.oneof(value, fc.array(value, { maxLength: 3 })));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...actions), args, fc.constantFrom('acme', 'beta', 'gamma'), async (action, a, who) => {
      const tx = chain.propose(orgs[who]!, action, a);
      chain.unsign(orgs[who]!);
      const r = await chain.execute([tx]);
      assert.match(r.results[0]!.code, /^(OK|GOV_[A-Z_]+)$/);
      if (!r.results[0]!.ok) assert.deepEqual(r.stateRoot, root);
    }),
    { numRuns: 200 },
  );
});

test('members and users: kv users by certificate; a removed member loses its users and may be invited again', async () => {
  const chain = await withOrgs();
  const acme = orgs['acme']!;
  await chain.block([chain.propose(acme, 'create-app', { id: 'kvapp', framework: 'kv', placement: ['node3', 'node4'], roles: [{ name: 'writer', kv: { prefixes: ['shared/'] } }] })]);
  assert.equal(chain.app.registry().apps.length, 0, 'op2 decides');
  const [create] = chain.blocks.at(-1)!;
  await chain.block([chain.vote(op('op2'), idOf(create!))]);
  await chain.block([chain.propose(acme, 'invite-member', { app: 'kvapp', org: 'beta' })]);
  const join = chain.propose(orgs['beta']!, 'join-app', { app: 'kvapp', role: 'writer', node: 'node4' });
  await chain.block([join, chain.vote(acme, idOf(join))]);

  const user = async (op: string, name: string, org?: string, app?: string) => {
    const out = path.join(pki.dir, `user-${name}-${Math.random().toString(36).slice(2)}`);
    await issueLeaf({ caDir: path.join(pki.dir, op), out, kind: 'user', name, ...(org && { org }), ...(app && { app }), secret: { passphrase: 'correct horse battery staple' } });
    return readFileSync(path.join(out, 'cert.pem'), 'utf8');
  };
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', address: ALICE }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', cert: await user('op1', 'carol') }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', cert: await user('op2', 'carol', 'beta', 'other') }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', cert: await user('op2', 'carol', 'acme') }, 'GOV_INVALID_ARGUMENT');
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', cert: orgs['beta']!.certPem }, 'GOV_INVALID_ARGUMENT');
  const carolPem = await user('op2', 'carol', 'beta', 'kvapp');
  const add = chain.propose(orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol', role: 'writer', cert: carolPem });
  await chain.block([add, chain.vote(acme, idOf(add))]);
  const carol = chain.app.registry().apps[0]!.users[0]!;
  assert.deepEqual([carol.name, carol.org, carol.role, carol.address], ['carol', 'beta', 'writer', undefined]);
  assert.match(carol.fingerprint ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  await refused(chain, orgs['beta']!, 'add-app-user', { app: 'kvapp', name: 'carol2', role: 'writer', cert: carolPem }, 'GOV_ALREADY_EXISTS');

  await chain.block([chain.propose(acme, 'remove-member', { app: 'kvapp', org: 'beta' })]);
  const removed = chain.app.registry().apps[0]!;
  assert.deepEqual([removed.members[0]!.status, removed.users.length], ['removed', 0]);
  await refused(chain, orgs['beta']!, 'join-app', { app: 'kvapp', role: 'writer', node: 'node4' }, 'GOV_NOT_INVITED');
  await chain.block([chain.propose(acme, 'invite-member', { app: 'kvapp', org: 'beta' })]);
  assert.equal(chain.app.registry().apps[0]!.members[0]!.status, 'invited');
});

test('rules: app-owner resolves to the owner; set-rule may use it for app actions only', async () => {
  const chain = await withOrgs();
  await createLedger(chain);
  const setRule = chain.propose(pki.authority, 'set-rule', { rule: { action: 'retire-app', clauses: [{ voters: 'app-owner', threshold: 'ALL' }, { voters: 'operators', threshold: 'MAJORITY' }] } });
  await chain.block([setRule, chain.vote(op('op1'), idOf(setRule)), chain.vote(op('op2'), idOf(setRule))]);
  assert.equal((await chain.proposal(idOf(setRule)))?.status, 'executed');
  const retire = chain.propose(op('op1'), 'retire-app', { app: 'ledger' });
  await chain.block([retire, chain.vote(op('op2'), idOf(retire))]);
  assert.equal((await chain.proposal(idOf(retire)))?.status, 'open', 'the owner must agree now');
  await chain.block([chain.vote(orgs['acme']!, idOf(retire))]);
  assert.equal(chain.app.registry().apps[0]!.status, 'retired');
  await refused(chain, pki.authority, 'set-rule', { rule: { action: 'add-node', clauses: [{ voters: 'app-owner', threshold: 'ANY' }] } }, 'GOV_INVALID_ARGUMENT');
});

test('evmChainId: deterministic, in range, unique across the network (retried on collision)', async () => {
  const first = evmChainIdFor('ledger', new Set());
  assert.equal(evmChainIdFor('ledger', new Set()), first);
  const second = evmChainIdFor('ledger', new Set([first]));
  assert.notEqual(second, first);
  assert.equal(evmChainIdFor('ledger', new Set([first])), second);
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.array(fc.integer({ min: EVM_CHAIN_ID_MIN, max: EVM_CHAIN_ID_MAX }), { maxLength: 8 }), (id, ids) => {
      const taken = new Set([...ids, evmChainIdFor(id, new Set())]);
      const n = evmChainIdFor(id, taken);
      return n >= EVM_CHAIN_ID_MIN && n <= EVM_CHAIN_ID_MAX && !taken.has(n) && Number.isSafeInteger(n);
    }),
  );
  // Two nodes replaying the same blocks derive the same ids; two apps never share one.
  const a = await withOrgs();
  await createLedger(a);
  const ledger2 = a.propose(orgs['gamma']!, 'create-app', { id: 'ledger2', framework: 'evm', placement: ['node1'] });
  await a.block([ledger2, a.vote(op('op1'), idOf(ledger2))]);
  const b = await Chain.start(genesis, dirs);
  for (const txs of a.blocks) await b.block(txs);
  const ids = (c: Chain) => c.app.registry().apps.map((x) => [x.id, x.evmChainId]);
  assert.deepEqual(ids(b), ids(a));
  assert.deepEqual((await b.app.info()).stateRoot, (await a.app.info()).stateRoot);
  assert.notEqual(a.app.registry().apps[0]!.evmChainId, a.app.registry().apps[1]!.evmChainId);
});
