import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildProgram } from '../../src/cli/program.js';
import { toleranceText } from '../../src/cli/app/format.js';
import { EVM_CHAIN_ID_MAX, EVM_CHAIN_ID_MIN } from '../../src/execution/gov/app-view.js';
import { startGovNode, type GovNode } from '../support/gov-node.js';
import { bsn, oneLineError, workspace, type RunResult } from './helpers.js';

/**
 * `bsn app …` against a real in-process node hosting gov (test/support/gov-node.ts), through
 * the real CLI: flags refused before any gateway is asked, an evm app created by a developer org
 * and approved by the operator, shown with its chain ids and JSON-RPC URLs, a member invited,
 * joined and approved, a user added by address, a placement below the minimum refused, a freeze;
 * and GET /gov/apps/:id, documented in OpenAPI.
 */

const NO_GATEWAY = 'http://127.0.0.1:9';
const ALICE = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

/** Runs `bsn ARGS` in this process (main()'s command tree) and returns what it threw. */
async function failure(...args: string[]): Promise<{ code?: string; message: string }> {
  try {
    await buildProgram().parseAsync(['node', 'bsn', ...args]);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error(`bsn ${args.join(' ')} did not fail`);
}

test('bsn app refuses bad flags with CLI_USAGE before unlocking a key or asking a gateway', async () => {
  // `--as nobody` would be a CLI_USAGE too, but naming the missing identity: each message below
  // shows the flag was refused first, and the dead gateway that no answer came from it.
  const as = ['--node', NO_GATEWAY, '--as', 'nobody'];
  const cases: [string[], RegExp][] = [
    [['app', 'create', 'ledger', '--nodes', 'node1', ...as], /create needs --framework/],
    [['app', 'create', 'ledger', '--framework', 'wasm', '--nodes', 'node1', ...as], /--framework takes evm or kv/],
    [['app', 'create', 'Ledger', '--framework', 'evm', '--nodes', 'node1', ...as], /an app id is a chain id/],
    [['app', 'create', 'gov', '--framework', 'evm', '--nodes', 'node1', ...as], /not 'gov'/],
    [['app', 'create', 'ledger', '--framework', 'evm', ...as], /create needs --nodes/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1,node1', ...as], /names 'node1' twice/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1', '--key-mode', 'mine', ...as], /--key-mode takes hosted or upload/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1', '--industry', 'mining', ...as], /--industry takes finance/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1,node2', '--min-validators', '3', ...as], /more than the 2 node/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1', '--roles-file', 'nowhere.json', ...as], /cannot read roles file/],
    [['app', 'create', 'ledger', '--framework', 'evm', '--nodes', 'node1', '--expires', 'soon', ...as], /--expires must be a duration/],
    [['app', 'place', 'ledger', ...as], /needs --add a,b or --remove c/],
    [['app', 'place', 'ledger', '--add', 'node2', '--remove', 'node2', ...as], /both added and removed/],
    [['app', 'invite', 'ledger', ...as], /invite needs --org ORG/],
    [['app', 'join', 'ledger', '--role', 'user', '--gateway', NO_GATEWAY, '--as', 'nobody'], /join needs --node N/],
    [['app', 'approve', 'ledger', ...as], /approve needs --org ORG/],
    [['app', 'user', 'add', 'ledger', '--name', 'alice', '--role', 'deployer', ...as], /needs --address 0x… .* or --user-cert/],
    [['app', 'user', 'add', 'ledger', '--name', 'alice', '--role', 'deployer', '--address', '0x1234', ...as], /--address must be 0x and 40 hex digits/],
    [['app', 'user', 'remove', 'ledger', ...as], /user remove needs --name N/],
    [['app', 'freeze', 'UPPER', ...as], /an app id is a chain id/],
    [['app', 'show', 'ledger', '--bogus', '--node', NO_GATEWAY], /unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const err = await failure(...args);
    assert.equal(err.code, 'CLI_USAGE', `${args.join(' ')}: ${err.message}`);
    assert.match(err.message, message, args.join(' '));
  }
  // Valid flags reach the signer: the missing identity is named next.
  assert.match((await failure('app', 'freeze', 'ledger', ...as)).message, /no identity 'nobody'/);
  // A read with no gateway to answer is the SDK's typed error.
  assert.equal((await failure('app', 'show', 'ledger', '--node', NO_GATEWAY)).code, 'SDK_GOV_UNREACHABLE');
});

test('the Byzantine tolerance is stated in words', () => {
  assert.equal(toleranceText(1), 'with 1 node a faulty node can stop the app (4 or more nodes tolerate one faulty node)');
  assert.match(toleranceText(3), /^with 3 nodes a faulty node can stop the app/);
  assert.match(toleranceText(4), /^4 nodes tolerate 1 faulty node /);
  assert.match(toleranceText(7), /^7 nodes tolerate 2 faulty nodes /);
});

/** A `bsn up`-like directory for the gov node: its gateway in devnet.json, identities by name. */
async function network(gov: GovNode, work: string): Promise<void> {
  const net = path.join(work, 'net');
  const port = Number(gov.gateway.address.split(':').pop());
  const node = { name: 'node1', operator: 'op1', p2pPort: 1, httpPort: 1, gatewayPort: port, config: 'x', log: 'x' };
  mkdirSync(path.join(net, 'identities'), { recursive: true });
  writeFileSync(path.join(net, 'devnet.json'), JSON.stringify({ version: 1, dir: net, chainId: 'kv', rootFingerprint: '', nodes: [node] }));
  const put = (name: string, certPem: string, keyPem: string): void => {
    mkdirSync(path.join(net, 'identities', name));
    writeFileSync(path.join(net, 'identities', name, 'cert.pem'), certPem);
    writeFileSync(path.join(net, 'identities', name, 'key.pem'), keyPem);
  };
  put('op1', gov.admin.certPem, gov.admin.keyPem);
  put('authority', gov.authority.certPem, gov.authority.keyPem);
  for (const org of ['acme', 'beta', 'plain']) {
    const leaf = await gov.pki.issue(org, 'org');
    put(org, leaf.certPem, leaf.keyPem);
  }
}

const json = <T>(r: RunResult): T => {
  assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
};

interface Written {
  id: string;
  status: string;
  awaiting: string[];
  tolerance?: string;
}

interface Shown {
  id: string;
  chainId: string;
  status: string;
  owner: string;
  evmChainId?: number;
  keyMode: string;
  nodes: { name: string; gateway: string | null; rpc?: string | null }[];
  members: { org: string; status: string; role?: string; node?: string; proposal?: string; since: number }[];
  users: { name: string; org: string; role: string; address?: string }[];
  price?: { perNodeMonth: number; nodes: number; perMonth: number; currency: string };
}

// One real gov node for the steps below, each its own test (every CLI call spawns the CLI: one
// test of them all took 70 s here). Made at the top level so that it lives until the file is done.
const work = workspace({ after });
let gov: GovNode | undefined;
let failed = false;
let created: Written = { id: '', status: '', awaiting: [] };
let joined: Written = { id: '', status: '', awaiting: [] };
after(async () => {
  await gov?.stop();
});
const run = (...args: string[]): Promise<RunResult> => bsn(work, ...args, '--dir', 'net');
const acme = ['--cert', 'net/identities/acme/cert.pem', '--key-file', 'net/identities/acme/key.pem'];
const step = (name: string, fn: (node: GovNode) => Promise<void>): void => {
  test(`bsn app on a real gov node: ${name}`, { timeout: 60_000 }, async () => {
    assert.ok(!failed, 'an earlier step failed');
    try {
      if (!gov) {
        gov = await startGovNode();
        await network(gov, work);
      }
      await fn(gov);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
};

step('the registry: a plan, a developer, a member and a regulator org', async () => {
  // The registry: a plan (the authority's), a developer org, a member org and a regulator.
  writeFileSync(path.join(work, 'plan.json'), JSON.stringify({ name: 'basic', requestsPerSecond: 10, txPerDay: 1000, storageMiB: 64, pricePerNodeMonth: 9900, currency: 'CNY' }));
  assert.equal(json<Written>(await run('gov', 'propose', 'set-plan', '--plan-file', 'plan.json', '--as', 'authority', '--json')).status, 'executed');
  const orgs: [string, string, string][] = [['acme', 'developer', '91350100M000100Y43'], ['beta', 'member', '91110000802100433B'], ['plain', 'regulator', '91310000MA1FL1MMXL']];
  for (const [name, roles, trustCode] of orgs) {
    const r = await run('gov', 'propose', 'register-org', '--as', 'op1', '--cert', `net/identities/${name}/cert.pem`, '--name', name, '--roles', roles, '--trust-code', trustCode, '--json');
    assert.equal(json<Written>(r).status, 'executed', name);
  }

});

step('create: a regulator is refused (GOV_NOT_DEVELOPER), so is an inactive node; created by files, approved by op1', async () => {
  // A regulator is no developer: refused by the chain, with its code, in one line.
  const notDev = await run('app', 'create', 'ledger', '--as', 'plain', '--framework', 'evm', '--nodes', 'node1');
  assert.equal(notDev.code, 1);
  assert.match(notDev.stderr, /GOV_NOT_DEVELOPER/);
  assert.equal(notDev.stderr.trim().split('\n').length, 1, notDev.stderr);
  const notActive = await run('app', 'create', 'ledger', ...acme, '--framework', 'evm', '--nodes', 'node1,node9', '--json');
  assert.match(notActive.stdout, /GOV_NODE_NOT_ACTIVE/);

  // Create (by files: --cert is the signer), then the operator of node1 approves.
  created = json<Written>(await run('app', 'create', 'ledger', ...acme, '--framework', 'evm', '--nodes', 'node1', '--key-mode', 'upload', '--json'));
  assert.equal(created.status, 'open');
  assert.deepEqual(created.awaiting, ['op1']);
  assert.match(created.tolerance ?? '', /with 1 node a faulty node can stop the app/);
  const proposed = json<Shown>(await run('app', 'show', 'ledger', '--json'));
  assert.equal(proposed.status, 'proposed');
  const dup = await run('app', 'create', 'ledger', ...acme, '--framework', 'kv', '--nodes', 'node1');
  assert.match(dup.stderr, /GOV_APP_EXISTS/);
  assert.equal(json<Written>(await run('gov', 'vote', created.id, 'yes', '--as', 'op1', '--json')).status, 'executed');

});

step('show: active, its EVM chain id, the JSON-RPC URL per node, the price', async (node) => {
  const shown = json<Shown>(await run('app', 'show', 'ledger', '--json'));
  assert.equal(shown.status, 'active');
  assert.equal(shown.chainId, 'ledger');
  assert.equal(shown.owner, 'acme');
  assert.equal(shown.keyMode, 'upload');
  assert.ok(shown.evmChainId! >= EVM_CHAIN_ID_MIN && shown.evmChainId! <= EVM_CHAIN_ID_MAX, String(shown.evmChainId));
  assert.deepEqual(shown.nodes, [{ name: 'node1', gateway: node.url, rpc: `${node.url}/apps/ledger/rpc` }]);
  assert.deepEqual(shown.price, { perNodeMonth: 9900, nodes: 1, perMonth: 9900, currency: 'CNY' });
  const human = await run('app', 'show', 'ledger');
  assert.match(human.stdout, /^app ledger: active, evm, owner acme$/m);
  assert.match(human.stdout, new RegExp(`EVM chain id ${shown.evmChainId}`));
  assert.ok(human.stdout.includes(`JSON-RPC ${node.url}/apps/ledger/rpc`), human.stdout);

});

step('members: not invited is refused; invite; a role that does not exist is refused; join', async () => {
  // Members: an org that was not invited cannot join; beta is invited, joins, the owner approves.
  assert.match((await run('app', 'join', 'ledger', '--as', 'plain', '--role', 'user', '--node', 'node1')).stderr, /GOV_NOT_INVITED/);
  const invited = await run('app', 'invite', 'ledger', '--as', 'acme', '--org', 'beta');
  assert.equal(invited.code, 0, invited.stderr);
  assert.match(invited.stdout, /^proposal [0-9a-f]{64} \(invite-member by acme\) executed at height \d+$/m);
  assert.match((await run('app', 'join', 'ledger', '--as', 'beta', '--role', 'admin', '--node', 'node1')).stderr, /GOV_UNKNOWN_ROLE/);
  const joinedHuman = await run('app', 'join', 'ledger', '--as', 'beta', '--role', 'user', '--node', 'node1');
  assert.match(joinedHuman.stdout, /\(join-app by beta\) open: yes 0 of 1 \(ANY: acme\).*\nawaiting approval by: acme\n$/);
  joined = { id: /proposal ([0-9a-f]{64})/.exec(joinedHuman.stdout)![1]!, status: 'open', awaiting: ['acme'] };
  const accepted = json<Shown['members']>(await run('app', 'members', 'ledger', '--json'));
  assert.deepEqual(accepted, [{ org: 'beta', status: 'accepted', role: 'user', node: 'node1', proposal: joined.id, since: accepted[0]!.since }]);
});

step('members: the owner approves; a second approve finds no open join', async () => {
  const approved = json<Written>(await run('app', 'approve', 'ledger', '--as', 'acme', '--org', 'beta', '--json'));
  assert.equal(approved.id, joined.id);
  assert.equal(approved.status, 'executed');
  const active = json<Shown['members']>(await run('app', 'members', 'ledger', '--json'));
  assert.deepEqual(active.map((m) => [m.org, m.status, m.role, m.node]), [['beta', 'active', 'user', 'node1']]);
  const again = await run('app', 'approve', 'ledger', '--as', 'acme', '--org', 'beta');
  assert.ok(oneLineError(again, 'CLI_APP_NO_OPEN_JOIN'), again.stderr);

});

step('a user by address; a placement below the minimum is refused and changes nothing', async () => {
  // A user by address (upload mode), stored lower-case.
  assert.equal(json<Written>(await run('app', 'user', 'add', 'ledger', ...acme, '--name', 'alice', '--address', ALICE, '--role', 'deployer', '--json')).status, 'executed');
  const withUser = json<Shown>(await run('app', 'show', 'ledger', '--json'));
  assert.deepEqual(withUser.users.map((u) => [u.name, u.org, u.role, u.address]), [['alice', 'acme', 'deployer', ALICE.toLowerCase()]]);

  // Removing the only node breaks the minimum; nothing changes.
  const place = await run('app', 'place', 'ledger', ...acme, '--remove', 'node1', '--json');
  assert.equal(place.code, 1);
  assert.match(place.stdout, /GOV_APP_MINIMUM/);
  assert.deepEqual(json<Shown>(await run('app', 'show', 'ledger', '--json')).nodes.map((n) => n.name), ['node1']);

});

step('freeze; a frozen app takes no invitation; list', async () => {
  // Freeze by the operators; a frozen app takes no invitation.
  assert.equal(json<Written>(await run('app', 'freeze', 'ledger', '--as', 'op1', '--json')).status, 'executed');
  assert.equal(json<Shown>(await run('app', 'show', 'ledger', '--json')).status, 'frozen');
  assert.match((await run('app', 'invite', 'ledger', '--as', 'acme', '--org', 'plain')).stderr, /GOV_APP_FROZEN/);
  const listed = json<{ id: string; status: string }[]>(await run('app', 'list', '--json'));
  assert.deepEqual(listed.map((a) => [a.id, a.status]), [['ledger', 'frozen']]);

});

step('GET /gov/apps/:id and its OpenAPI entry', async (node) => {
  // The REST read, and its place in the OpenAPI document.
  const one = await fetch(`${node.url}/gov/apps/ledger`);
  assert.equal(one.status, 200);
  assert.ok(Number(one.headers.get('x-bsn-height')) > 0);
  assert.equal(((await one.json()) as { status: string }).status, 'frozen');
  const none = await fetch(`${node.url}/gov/apps/nope`);
  assert.equal(none.status, 404);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'GOV_UNKNOWN_APP');
  const bad = await fetch(`${node.url}/gov/apps/Not_An_Id`);
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'REST_BAD_REQUEST');
  const doc = (await (await fetch(`${node.url}/docs/json`)).json()) as { paths: Record<string, { get?: { tags?: string[] } }> };
  assert.deepEqual(doc.paths['/gov/apps/{id}']?.get?.tags, ['governance']);
  const unknown = await run('app', 'show', 'nope');
  assert.ok(oneLineError(unknown, 'GOV_UNKNOWN_APP'), unknown.stderr);
});
