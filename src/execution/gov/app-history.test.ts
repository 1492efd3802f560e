import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import type { CodecValue } from '../../codec/index.js';
import { ecdsaP256 } from '../../crypto/index.js';
import type { ExecutionResult, Genesis } from '../application.js';
import { appAccess, roleAllows, type AppIdentity } from './app-access.js';
import { GovApplication } from './app.js';
import { GovHistoryBadHeightError, GovHistoryNotCommittedError, GovHistoryNotInMemoryError } from './errors.js';
import { GovChain as Chain, genesisOf, makeGovPki, type GovPki, type Identity } from './gov.fixture.js';
import { canonicalJson } from './state.js';
import { govProposalId, proposePayload, votePayload } from './tx.js';
import type { AppRecord, AppRole, PlanRecord } from './types.js';

/*
 * An app's record at any governance height (issue 13: app blocks anchored to a gov height): the
 * versions a kv app goes through (create, invite, join, users, freeze, remove-member, unfreeze,
 * retire), appAt at every height, the same answers after a restart and on a second instance fed
 * the same blocks, the memory window and the read-back, and the member check over one record.
 * Genesis: op1 (node1, node2), op2 (node3, node4); acme (op1, developer), beta (op2, member).
 */

let pki: GovPki;
let genesis: Genesis;
let orgs: Record<string, Identity>;
let users: Record<string, Identity>;
const dirs: string[] = [];
const PLANS: PlanRecord[] = [{ name: 'basic', requestsPerSecond: 50, txPerDay: 100_000, storageMiB: 1024, pricePerNodeMonth: 9_900, currency: 'CNY' }];

before(async () => {
  pki = await makeGovPki(['op1', 'op2']);
  const owners = { node1: 'op1', node2: 'op1', node3: 'op2', node4: 'op2' } as const;
  const nodes: { node: Identity; operator: string }[] = [];
  for (const [name, operator] of Object.entries(owners)) nodes.push({ node: await pki.issue(operator, 'node', name), operator });
  orgs = { acme: await pki.issue('op1', 'org', 'acme'), beta: await pki.issue('op2', 'org', 'beta') };
  users = { carol: await pki.issue('op1', 'user', 'carol'), dave: await pki.issue('op2', 'user', 'dave') };
  genesis = { chainId: 'gov', time: Date.now(), appState: { ...genesisOf(pki, ['op1', 'op2'], nodes), plans: PLANS } as unknown as CodecValue };
});
after(async () => {
  if (shared) await (await shared).chain.db.close();
  pki.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const op = (name: string) => pki.operators.get(name)!.admin;
const idOf = (tx: Uint8Array) => govProposalId(ecdsaP256, tx);
const codes = (r: ExecutionResult) => r.results.map((x) => x.code);
const text = (r: AppRecord | undefined) => (r === undefined ? 'undefined' : canonicalJson(r));

interface Story {
  readonly chain: Chain;
  /** The live record of `notes` after each height (index = height), as the registry showed it. */
  readonly expected: string[];
  /** The heights where a block changed `notes`. */
  readonly changes: number[];
}

/** Runs the kv app `notes` (node1, node2: op1 alone concerned) through its whole life. */
async function story(): Promise<Story> {
  const chain = await Chain.start(genesis, dirs);
  const expected = [text(undefined)];
  const changes: number[] = [];
  const step = async (txs: Uint8Array[], changesNotes: boolean): Promise<void> => {
    const r = await chain.block(txs);
    assert.ok(codes(r).every((c) => c === 'OK'), `block ${r.height}: ${codes(r).join(', ')}`);
    const live = chain.app.registry().apps.find((a) => a.id === 'notes');
    expected.push(text(live));
    if (changesNotes) changes.push(r.height);
  };
  const reg = (by: string, name: string, roles: string[]) => chain.propose(op(by), 'register-org', { cert: orgs[name]!.certPem, name, roles, trustCode: '91350100M000100Y43' });
  await step([reg('op1', 'acme', ['developer']), reg('op2', 'beta', ['member'])], false);
  await step([], false);
  const create = chain.propose(orgs['acme']!, 'create-app', { id: 'notes', framework: 'kv', placement: ['node1', 'node2'], roles: [{ name: 'writer', kv: { prefixes: ['shared/'] } }, { name: 'reader', kv: { prefixes: [] } }] });
  await step([create, chain.vote(op('op1'), idOf(create))], true);
  await step([], false);
  await step([chain.propose(orgs['acme']!, 'invite-member', { app: 'notes', org: 'beta' })], true);
  const join = chain.propose(orgs['beta']!, 'join-app', { app: 'notes', role: 'writer', node: 'node1' });
  await step([join], false);
  await step([chain.vote(orgs['acme']!, idOf(join))], true);
  await step([chain.propose(orgs['acme']!, 'add-app-user', { app: 'notes', name: 'carol', role: 'writer', cert: users['carol']!.certPem })], true);
  const dave = chain.propose(orgs['beta']!, 'add-app-user', { app: 'notes', name: 'dave', role: 'reader', cert: users['dave']!.certPem });
  await step([dave, chain.vote(orgs['acme']!, idOf(dave))], true);
  await step([], false);
  const freeze = chain.propose(op('op1'), 'freeze-app', { app: 'notes' });
  await step([freeze, chain.vote(op('op2'), idOf(freeze))], true);
  await step([chain.propose(orgs['acme']!, 'remove-member', { app: 'notes', org: 'beta' })], true);
  const unfreeze = chain.propose(op('op1'), 'unfreeze-app', { app: 'notes' });
  await step([unfreeze, chain.vote(op('op2'), idOf(unfreeze))], true);
  await step([], false);
  const retire = chain.propose(op('op2'), 'retire-app', { app: 'notes' });
  await step([retire, chain.vote(op('op1'), idOf(retire))], true);
  await step([], false);
  return { chain, expected, changes };
}

/** A proposal signed with the signer's next nonce as the chain says (for a chain that replayed blocks). */
async function nonceOf(chain: Chain, who: Identity): Promise<number> {
  const { value } = await chain.app.query('nonce', new TextEncoder().encode(who.fingerprint));
  return JSON.parse(Buffer.from(value!).toString('utf8')) as number;
}
async function proposeNow(chain: Chain, who: Identity, action: string, args: Record<string, unknown>): Promise<Uint8Array> {
  return chain.sign(who, 'propose', proposePayload(action, args, chain.time + 3_600_000), await nonceOf(chain, who));
}

/** Every answer of `app` about `notes`, at every height from 0 to `tip`. */
function answers(app: GovApplication, tip: number): string[] {
  return Array.from({ length: tip + 1 }, (_, h) => text(app.appAt('notes', h)));
}

let shared: Promise<Story> | undefined;
const theStory = () => (shared ??= story());

test('versions: create, invite, join, users, freeze, remove-member, unfreeze, retire each make one; appAt at every height is the record of then', async () => {
  const { chain, expected, changes } = await theStory();
  assert.equal(changes.length, 9);
  assert.deepEqual(chain.app.appVersions('notes'), changes);
  assert.deepEqual(answers(chain.app, chain.height), expected);
  const at = (h: number) => chain.app.appAt('notes', h)!;
  const [created, invited, joined, carol, dave, frozen, removed, unfrozen, retired] = changes.map(at);
  assert.equal(chain.app.appAt('notes', changes[0]! - 1), undefined, 'before creation');
  assert.deepEqual([created!.status, created!.activatedHeight, created!.since, created!.members.length], ['active', changes[0], changes[0], 0]);
  assert.equal(invited!.members[0]!.status, 'invited');
  assert.deepEqual([joined!.members[0]!.status, joined!.members[0]!.role], ['active', 'writer']);
  assert.deepEqual(carol!.users.map((u) => u.name), ['carol']);
  assert.deepEqual(dave!.users.map((u) => u.name), ['carol', 'dave']);
  assert.equal(frozen!.status, 'frozen');
  assert.deepEqual([removed!.status, removed!.members[0]!.status, removed!.users.map((u) => u.name)], ['frozen', 'removed', ['carol']]);
  assert.equal(unfrozen!.status, 'active');
  assert.equal(retired!.status, 'retired');
  assert.equal(text(at(changes[3]! + 0)), text(at(changes[4]! - 1)), 'between versions: the last one at or below');
  assert.equal(text(chain.app.appAt('notes', chain.height)), text(chain.app.registry().apps.find((a) => a.id === 'notes')), 'at the tip: the registry\'s record');
  assert.equal(await chain.app.appAtAsync('notes', changes[5]!).then(text), text(frozen));
  assert.equal(chain.app.appAt('other', chain.height), undefined);
  assert.deepEqual(chain.app.appVersions('other'), []);
});

test('appAt refuses a height not committed or not an integer ≥ 0, with typed errors', async () => {
  const { chain } = await theStory();
  assert.throws(() => chain.app.appAt('notes', chain.height + 1), (e: unknown) => e instanceof GovHistoryNotCommittedError && e.code === 'GOV_HISTORY_NOT_COMMITTED');
  for (const h of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    assert.throws(() => chain.app.appAt('notes', h), (e: unknown) => e instanceof GovHistoryBadHeightError && e.code === 'GOV_HISTORY_BAD_HEIGHT', String(h));
  }
  await assert.rejects(chain.app.appAtAsync('notes', chain.height + 5), GovHistoryNotCommittedError);
});

test('two instances fed the same blocks agree on every version and every answer; a restart answers the same', async () => {
  const { chain, expected } = await theStory();
  const second = await Chain.start(genesis, dirs);
  for (const txs of chain.blocks) await second.block(txs);
  assert.deepEqual((await second.app.info()).stateRoot, (await chain.app.info()).stateRoot);
  assert.deepEqual(second.app.appVersions('notes'), chain.app.appVersions('notes'));
  assert.deepEqual(answers(second.app, second.height), expected);

  await second.reopen();
  assert.deepEqual(second.app.appVersions('notes'), chain.app.appVersions('notes'));
  assert.deepEqual(answers(second.app, second.height), expected, 'after reopening the LevelDB');
  const again = second.app.appAt('notes', second.height)!;
  assert.ok(Object.isFrozen(again) && Object.isFrozen(again.users), 'answers are shared: frozen');
  await second.db.close();
});

test('the memory window: older versions are read back from LevelDB by appAtAsync, the same as kept ones; live commits too', async () => {
  const { expected, changes } = await theStory();
  // A copy of the story's chain, so the shared one stays open for the other tests.
  const chain = await Chain.start(genesis, dirs);
  for (const txs of (await theStory()).chain.blocks) await chain.block(txs);
  await chain.db.close();
  const db = new ClassicLevel<string, Uint8Array>(chain.dir, { valueEncoding: 'view' });
  const app = await GovApplication.open(db, 'gov', { suite: ecdsaP256, appHistoryWindow: 2 });
  assert.deepEqual(app.appVersions('notes'), changes, 'every height is known');
  const tip = chain.height;
  for (let h = 0; h <= tip; h++) {
    const kept = h >= changes.at(-2)! || h < changes[0]!;
    if (kept) assert.equal(text(app.appAt('notes', h)), expected[h], `kept at ${h}`);
    else assert.throws(() => app.appAt('notes', h), GovHistoryNotInMemoryError, `evicted at ${h}`);
    assert.equal(text(await app.appAtAsync('notes', h)), expected[h], `read back at ${h}`);
    assert.equal(text(await app.appAtAsync('notes', h)), expected[h], `cached at ${h}`);
  }
  // Live commits with the small window: a new app's versions push its older ones out of memory.
  chain.db = db;
  chain.app = app;
  const acme = orgs['acme']!;
  const create = await proposeNow(chain, acme, 'create-app', { id: 'pad', framework: 'kv', placement: ['node1'] });
  const vote = chain.sign(op('op1'), 'vote', votePayload(idOf(create), true), await nonceOf(chain, op('op1')));
  assert.deepEqual(codes(await chain.block([create, vote])), ['OK', 'OK']);
  const created = chain.height;
  assert.deepEqual(codes(await chain.block([await proposeNow(chain, acme, 'invite-member', { app: 'pad', org: 'beta' })])), ['OK']);
  assert.equal(app.appAt('pad', created)?.members.length, 0, 'two versions: both in memory');
  assert.deepEqual(codes(await chain.block([await proposeNow(chain, acme, 'add-app-user', { app: 'pad', name: 'carol', role: 'writer', cert: users['carol']!.certPem })])), ['OK']);
  assert.throws(() => app.appAt('pad', created), GovHistoryNotInMemoryError);
  assert.equal((await app.appAtAsync('pad', created))?.members.length, 0);
  assert.deepEqual(app.appVersions('pad'), [created, created + 1, created + 2]);
  assert.equal(app.appAt('pad', created - 1), undefined);
  await db.close();
});

test('a store written before versions were kept: each app gets its current record as a version at its since, persisted', async () => {
  const source = (await theStory()).chain;
  const chain = await Chain.start(genesis, dirs);
  for (const txs of source.blocks) await chain.block(txs);
  const level = chain.db.sublevel<string, Uint8Array>('gov:gov', { keyEncoding: 'utf8', valueEncoding: 'view' });
  const keys = await level.keys({ gte: 'av/', lt: 'av0' }).all();
  assert.ok(keys.length > 0);
  for (const key of keys) await level.del(key);
  await chain.reopen();
  const record = chain.app.registry().apps.find((a) => a.id === 'notes')!;
  assert.deepEqual(chain.app.appVersions('notes'), [record.since]);
  assert.equal(text(chain.app.appAt('notes', chain.height)), text(record));
  assert.equal(chain.app.appAt('notes', record.since - 1), undefined, 'the history starts at the backfilled version');
  await chain.reopen();
  assert.deepEqual(chain.app.appVersions('notes'), [record.since], 'the backfill was written');
  await chain.db.close();
});

test('appAccess over the story\'s records: owner\'s and active member\'s users; a removed member\'s are not; frozen and retired refuse writes', async () => {
  const { chain, changes } = await theStory();
  const carol: AppIdentity = { kind: 'kv', certFingerprint: users['carol']!.fingerprint };
  const dave: AppIdentity = { kind: 'kv', certFingerprint: users['dave']!.fingerprint };
  const at = (i: number) => chain.app.appAt('notes', changes[i]!);
  const short = (r: ReturnType<typeof appAccess>) => [r.member, r.writable, r.role?.name, r.user, r.reason];
  assert.deepEqual(short(appAccess(at(3), carol)), [true, true, 'writer', 'carol', undefined], 'a user of the owner');
  assert.deepEqual(short(appAccess(at(3), dave)), [false, false, undefined, undefined, 'not-a-user'], 'before dave was added');
  assert.deepEqual(short(appAccess(at(4), dave)), [true, true, 'reader', 'dave', undefined], 'a user of the active member beta');
  assert.deepEqual(short(appAccess(at(4), { kind: 'kv', certFingerprint: users['dave']!.fingerprint.toLowerCase() })), [true, true, 'reader', 'dave', undefined], 'fingerprints compare case-insensitively');
  assert.deepEqual(short(appAccess(at(5), carol)), [true, false, 'writer', 'carol', 'frozen']);
  assert.deepEqual(short(appAccess(at(6), dave)), [false, false, undefined, undefined, 'not-a-user'], 'removed with its org');
  assert.deepEqual(short(appAccess(at(7), carol)), [true, true, 'writer', 'carol', undefined], 'unfrozen');
  assert.deepEqual(short(appAccess(at(8), carol)), [true, false, 'writer', 'carol', 'retired']);
  assert.deepEqual(short(appAccess(undefined, carol)), [false, false, undefined, undefined, 'bad-input'], 'no record');
  // A leftover user of a removed org (not something the actions leave, but the check stands alone).
  const record = at(6)!;
  const leftover = { ...record, users: [...record.users, { name: 'dave', org: 'beta', role: 'reader', fingerprint: users['dave']!.fingerprint }] };
  assert.deepEqual(short(appAccess(leftover, dave)), [false, false, undefined, undefined, 'org-not-member']);
  const badRole = { ...record, users: [{ ...record.users[0]!, role: 'admin' }] };
  assert.equal(appAccess(badRole, carol).reason, 'unknown-role');
});

const EVM_APP = {
  id: 'ledger',
  owner: 'acme',
  status: 'active',
  roles: [
    { name: 'deployer', evm: { deploy: true, calls: [{ contract: '*', selector: '*' }] } },
    { name: 'payer', evm: { deploy: false, calls: [{ contract: '0x' + 'ab'.repeat(20), selector: '0xa9059cbb' }, { contract: '0x' + 'cd'.repeat(20), selector: '*' }] } },
  ],
  members: [{ org: 'beta', role: 'payer', node: 'node3', status: 'active', since: 5 }, { org: 'gamma', status: 'invited', since: 6 }],
  users: [
    { name: 'alice', org: 'acme', role: 'deployer', address: '0x' + '11'.repeat(20) },
    { name: 'bob', org: 'beta', role: 'payer', address: '0x' + '22'.repeat(20) },
    { name: 'gus', org: 'gamma', role: 'payer', address: '0x' + '33'.repeat(20) },
  ],
} as unknown as AppRecord;

test('appAccess by address (evm upload mode); an invited org\'s user is not a member', () => {
  assert.equal(appAccess(EVM_APP, { kind: 'evm', address: '0x' + '11'.repeat(20) }).role?.name, 'deployer');
  assert.equal(appAccess(EVM_APP, { kind: 'evm', address: '0x' + '22'.repeat(20).toUpperCase().replace('0X', '0x') }).user, 'bob', 'addresses compare lower-case');
  assert.equal(appAccess(EVM_APP, { kind: 'evm', address: '0x' + '33'.repeat(20) }).reason, 'org-not-member');
  assert.equal(appAccess(EVM_APP, { kind: 'evm', address: '0x' + '44'.repeat(20) }).reason, 'not-a-user');
  assert.equal(appAccess(EVM_APP, { kind: 'kv', certFingerprint: 'AA:BB' }).reason, 'not-a-user');
  assert.equal(appAccess(EVM_APP, { kind: 'other' } as unknown as AppIdentity).reason, 'bad-input');
  assert.equal(appAccess({ ...EVM_APP, status: 'proposed' }, { kind: 'evm', address: '0x' + '11'.repeat(20) }).reason, 'bad-input');
});

test('roleAllows: deploy, call grants with wildcards, kv own namespace and shared prefixes, the wrong framework', () => {
  const [deployer, payer] = EVM_APP.roles as [AppRole, AppRole];
  const writer: AppRole = { name: 'writer', kv: { prefixes: ['shared/', 'pub/'] } };
  const everything: AppRole = { name: 'all', kv: { prefixes: [''] } };
  const tokenA = '0x' + 'ab'.repeat(20);
  assert.deepEqual(roleAllows(deployer, { kind: 'evm-deploy' }), { allowed: true });
  assert.deepEqual(roleAllows(payer, { kind: 'evm-deploy' }), { allowed: false, reason: 'no-deploy' });
  assert.deepEqual(roleAllows(deployer, { kind: 'evm-call', to: '0x' + '99'.repeat(20), selector: '0x12345678' }), { allowed: true });
  assert.deepEqual(roleAllows(payer, { kind: 'evm-call', to: tokenA.toUpperCase().replace('0X', '0x'), selector: '0xA9059CBB' }), { allowed: true }, 'compared lower-case');
  assert.deepEqual(roleAllows(payer, { kind: 'evm-call', to: tokenA, selector: '0x095ea7b3' }), { allowed: false, reason: 'no-call-grant' });
  assert.deepEqual(roleAllows(payer, { kind: 'evm-call', to: '0x' + 'cd'.repeat(20), selector: '0x095ea7b3' }), { allowed: true }, 'any selector of that contract');
  assert.deepEqual(roleAllows(payer, { kind: 'evm-call', to: '0x' + 'ee'.repeat(20), selector: '0xa9059cbb' }), { allowed: false, reason: 'no-call-grant' });
  assert.deepEqual(roleAllows(writer, { kind: 'kv', key: 'shared/x' }), { allowed: true });
  assert.deepEqual(roleAllows(writer, { kind: 'kv', key: 'users/carol/a', own: 'users/carol/' }), { allowed: true });
  assert.deepEqual(roleAllows(writer, { kind: 'kv', key: 'users/dave/a', own: 'users/carol/' }), { allowed: false, reason: 'no-prefix' });
  assert.deepEqual(roleAllows(writer, { kind: 'kv', key: 'users/dave/a', own: '' }), { allowed: false, reason: 'no-prefix' }, 'an empty own namespace is not every key');
  assert.deepEqual(roleAllows(everything, { kind: 'kv', key: 'anything' }), { allowed: true });
  assert.deepEqual(roleAllows(writer, { kind: 'evm-deploy' }), { allowed: false, reason: 'wrong-framework' });
  assert.deepEqual(roleAllows(deployer, { kind: 'kv', key: 'shared/x' }), { allowed: false, reason: 'wrong-framework' });
  assert.deepEqual(roleAllows(undefined, { kind: 'evm-deploy' }), { allowed: false, reason: 'bad-input' });
  assert.deepEqual(roleAllows(payer, { kind: 'evm-call', to: 7, selector: null } as unknown as never), { allowed: false, reason: 'bad-input' });
});

test('fast-check: appAccess and roleAllows never throw and answer alike twice, on any input and on mutated records', () => {
  const identity = fc.oneof(
    fc.record({ kind: fc.constant('kv'), certFingerprint: fc.oneof(fc.string(), fc.constant('AA:BB')) }),
    fc.record({ kind: fc.constant('evm'), address: fc.oneof(fc.string(), fc.constant('0x' + '22'.repeat(20))) }),
    fc.anything(),
  );
  const op = fc.oneof(
    fc.record({ kind: fc.constant('kv'), key: fc.string(), own: fc.option(fc.string(), { nil: undefined }) }),
    fc.record({ kind: fc.constant('evm-call'), to: fc.string(), selector: fc.string() }),
    fc.constant({ kind: 'evm-deploy' }),
    fc.anything(),
  );
  const record = fc.oneof(fc.anything(), fc.constant(EVM_APP), fc.record({ owner: fc.anything(), users: fc.array(fc.anything()), members: fc.anything(), roles: fc.anything(), status: fc.anything() }));
  fc.assert(
    fc.property(record, identity, op, (r, who, o) => {
      const a = appAccess(r as AppRecord, who as AppIdentity);
      assert.deepEqual(appAccess(r as AppRecord, who as AppIdentity), a);
      assert.ok(!a.writable || a.member, 'only members write');
      const d = roleAllows(r as AppRole, o as never);
      assert.deepEqual(roleAllows(r as AppRole, o as never), d);
      for (const role of EVM_APP.roles) assert.deepEqual(roleAllows(role, o as never), roleAllows(role, o as never));
    }),
    { numRuns: 500 },
  );
});
