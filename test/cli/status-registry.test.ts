import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import type { GovAction } from '../../src/execution/gov/types.js';
import type { DevnetLayout, DevnetNode, NodeHealth } from '../../src/network/devnet.js';
import { startHttp } from '../../src/node/index.js';
import { GovClient } from '../../src/sdk/gov-client.js';
import { proposeTx } from '../../src/cli/gov/sign.js';
import { networkStatus, NO_HEALTH_ENDPOINT, readRegistry, registryLines, type RegistryStatus } from '../../src/cli/status.js';
import { startGovNode, type GovNode } from '../support/gov-node.js';
import { bsn, tempDir } from './helpers.js';

/*
 * `bsn status` reads the governance registry through the first gateway that answers (issue 12:
 * the registry is what `bsn status` reads). A real in-process node hosts gov; governance adds
 * node5 (its gateway is a live one), node6 (no gateway, then suspended) and node7 (a dead
 * gateway, then revoked), none of which the layout knows. The layout has node1 (the real node)
 * after node2, a node whose ports nothing listens on.
 */

let gov: GovNode;
let ops: { server: { close(): void }; address: string };
let dead: number[] = [];
let work = '';
let cleanupWork = (): void => undefined;

/** Ports nothing listens on: bound, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => resolve(s)); })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const portOf = (address: string): number => Number(address.split(':').pop());

function layoutNode(name: string, httpPort: number, gatewayPort: number): DevnetNode {
  return { name, operator: 'op1', p2pPort: 1, httpPort, gatewayPort, config: 'node.json', log: 'node.log' };
}

/** A devnet.json in `dir` whose nodes are `nodes`; `gov` unless told otherwise. */
function writeLayout(dir: string, nodes: DevnetNode[], extra: Partial<DevnetLayout> = { govChainId: 'gov' }): DevnetLayout {
  mkdirSync(dir, { recursive: true });
  const layout = { version: 1 as const, dir, chainId: 'kv', rootFingerprint: '', nodes, ...extra };
  writeFileSync(path.join(dir, 'devnet.json'), JSON.stringify(layout));
  return layout;
}

async function propose(client: GovClient, action: GovAction, args: Record<string, unknown>): Promise<void> {
  const signer = { label: 'op1', cert: gov.admin.cert, privateKey: gov.admin.privateKey };
  const result = await client.submit(proposeTx(signer, await client.nonce(gov.admin.cert.fingerprint), action, args, Date.now() + 3_600_000));
  assert.equal(result.proposal?.status, 'executed', `${action}: ${JSON.stringify(result.proposal)}`);
}

before(async () => {
  // node1 outweighs the nodes governance adds (10 of 12): gov keeps committing without them.
  gov = await startGovNode({}, { power: 10 });
  ops = await startHttp(gov.node, '127.0.0.1:0');
  dead = await freePorts(3);
  work = tempDir({ after: (fn) => (cleanupWork = fn) }, 'bsn-status-');
  const client = new GovClient(gov.url);
  const cert = async (name: string) => (await gov.pki.issue(name)).certPem;
  await propose(client, 'add-node', { cert: await cert('node5'), region: 'Shanghai', city: 'Pudong', gateway: gov.url, power: 1 });
  await propose(client, 'add-node', { cert: await cert('node6'), region: 'Guangdong', city: 'Shenzhen', power: 1 });
  await propose(client, 'suspend-node', { name: 'node6' });
  const node7 = await cert('node7');
  await propose(client, 'add-node', { cert: node7, region: 'Sichuan', gateway: `http://127.0.0.1:${dead[2]}`, power: 1 });
  await propose(client, 'revoke', { cert: node7, reason: 'keyCompromise' });
});

after(async () => {
  ops?.server.close();
  await gov?.stop();
  cleanupWork();
});

/** The layout of the real node: node2 (nothing listens) first, then node1. */
const realLayout = (): DevnetLayout => writeLayout(path.join(work, 'net'), [layoutNode('node2', dead[0]!, dead[1]!), layoutNode('node1', portOf(ops.address), portOf(gov.gateway.address))]);

test('bsn status shows every registry node: status, revoked, validator, health by ops, by gateway, or none known', { timeout: 120_000 }, async () => {
  const status = await networkStatus(realLayout());
  assert.equal(status.ok, false, 'node2 is down');
  assert.deepEqual(status.nodes.map((n: NodeHealth) => [n.name, n.error === undefined]), [['node2', false], ['node1', true]]);
  assert.ok(!('error' in status.registry), JSON.stringify(status.registry));
  const registry = status.registry as RegistryStatus;
  // The first gateway that answers: node2's does not.
  assert.equal(registry.via, gov.url);
  assert.ok(registry.height >= 5, `height ${registry.height}`);
  const byName = new Map(registry.nodes.map((n) => [n.name, n]));
  assert.deepEqual([...byName.keys()], ['node1', 'node5', 'node6', 'node7']);
  const row = (name: string) => {
    const n = byName.get(name)!;
    return [n.operator, n.region, n.status, n.revoked, n.validator, n.inLayout, n.health.state];
  };
  assert.deepEqual(row('node1'), ['op1', 'Beijing', 'active', false, true, true, 'up']);
  assert.deepEqual(row('node5'), ['op1', 'Shanghai', 'active', false, true, false, 'up']);
  assert.deepEqual(row('node6'), ['op1', 'Guangdong', 'suspended', false, false, false, 'unknown']);
  // Revoked: still `active` in its record, but no validator any more, and its gateway is dead.
  assert.deepEqual(row('node7'), ['op1', 'Sichuan', 'active', true, false, false, 'down']);
  assert.deepEqual(byName.get('node1')!.health, { state: 'up', via: 'ops', govHeight: (status.nodes[1]!.status!.chains.find((c) => c.chainId === 'gov')!.height) });
  const n5 = byName.get('node5')!.health;
  assert.ok(n5.state === 'up' && n5.via === 'gateway' && n5.govHeight! >= registry.height - 1, JSON.stringify(n5));
  assert.deepEqual(byName.get('node6')!.health, { state: 'unknown', reason: NO_HEALTH_ENDPOINT });
  const n7 = byName.get('node7')!.health;
  assert.ok(n7.state === 'down' && n7.via === 'gateway' && /cannot reach/.test(n7.error), JSON.stringify(n7));
  assert.deepEqual(registry.operators.map((o) => [o.name, o.status, o.revoked, o.nodes.join(',')]), [['op1', 'active', false, 'node1,node5,node6,node7']]);
  assert.deepEqual(registry.notInRegistry, ['node2']);

  const lines = registryLines(registry);
  assert.match(lines[0]!, new RegExp(`^registry at gov height \\d+ \\(read through ${gov.url.replace(/\./g, '\\.')}\\): 1 operators, 4 nodes$`));
  assert.match(lines[1]!, /^ {2}operator op1 {2}active {2}CN=.* {2}nodes node1,node5,node6,node7$/);
  const line = (name: string) => lines.find((l) => l.startsWith(`  ${name} `)) ?? '';
  assert.match(line('node1'), /^ {2}node1 +op1 +Beijing +active +validator +up \(gov height \d+\)$/);
  assert.match(line('node5'), /^ {2}node5 +op1 +Shanghai\/Pudong +active +validator +gateway http:\/\/127\.0\.0\.1:\d+ answers \(gov height \d+\) {2}\(not in the layout\)$/);
  assert.match(line('node6'), new RegExp(`^ {2}node6 +op1 +Guangdong/Shenzhen +suspended +not a validator +${NO_HEALTH_ENDPOINT} {2}\\(not in the layout\\)$`));
  assert.match(line('node7'), /^ {2}node7 +op1 +Sichuan +active, revoked +not a validator +gateway http:\/\/127\.0\.0\.1:\d+ down \(cannot reach .*\) {2}\(not in the layout\)$/);
  assert.equal(lines.at(-1), '  not in the registry: node2 (in the layout only)');
});

test('bsn status (the real CLI): --json keeps nodes and adds registry; the human lines add the registry', { timeout: 120_000 }, async () => {
  realLayout();
  const json = await bsn(work, 'status', '--dir', 'net', '--json');
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { ok: boolean; nodes: NodeHealth[]; registry: RegistryStatus };
  assert.equal(out.ok, false);
  assert.deepEqual(out.nodes.map((n) => n.name), ['node2', 'node1']);
  assert.equal(out.nodes[1]!.gateway, `http://${gov.gateway.address}`);
  assert.deepEqual(out.nodes[1]!.status!.chains.map((c) => c.chainId), ['gov']);
  assert.deepEqual(Object.keys(out.registry).sort(), ['height', 'nodes', 'notInRegistry', 'operators', 'via']);
  assert.deepEqual(out.registry.nodes.map((n) => `${n.name}:${n.status}:${n.validator}:${n.health.state}`), ['node1:active:true:up', 'node5:active:true:up', 'node6:suspended:false:unknown', 'node7:active:false:down']);

  const human = await bsn(work, 'status', '--dir', 'net');
  assert.equal(human.code, 0, human.stderr);
  const lines = human.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^node2 {2}down \(/);
  assert.match(lines[1]!, /^node1 {2}gov height \d+ (idle|round \d+) mempool \d+ {2}peers - {2}gateway http:\/\/127\.0\.0\.1:\d+ \(plain HTTP\)$/);
  assert.match(lines[2]!, /^registry at gov height \d+ \(read through http:\/\/127\.0\.0\.1:\d+\): 1 operators, 4 nodes$/);
  assert.ok(lines.some((l) => /^ {2}node6 .*suspended .*no health endpoint known/.test(l)), human.stdout);
});

test('bsn status without a registry: no gateway answers, or a layout made before gov; one line, the rest as before', { timeout: 60_000 }, async () => {
  const deadLayout = writeLayout(path.join(work, 'dead'), [layoutNode('node1', dead[0]!, dead[1]!), layoutNode('node2', dead[2]!, dead[1]!)]);
  const status = await networkStatus(deadLayout);
  assert.deepEqual(status.nodes.map((n) => [n.name, n.error !== undefined]), [['node1', true], ['node2', true]]);
  assert.ok('error' in status.registry);
  assert.match(status.registry.error, /no gateway answers for the governance chain/);
  assert.match(status.registry.error, new RegExp(`127\\.0\\.0\\.1:${dead[1]}`));
  const lines = registryLines(status.registry);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^registry not read: no gateway answers for the governance chain/);

  // An older layout (no govChainId): no gateway is asked, even one that would answer.
  const old = writeLayout(path.join(work, 'old'), [layoutNode('node1', portOf(ops.address), portOf(gov.gateway.address))], {});
  assert.deepEqual(await readRegistry(old, []), { error: 'this network has no governance chain: its layout was made before gov existed' });
  const cli = await bsn(work, 'status', '--dir', 'old');
  assert.equal(cli.code, 0, cli.stderr);
  const printed = cli.stdout.trimEnd().split('\n');
  assert.equal(printed.length, 2, cli.stdout);
  assert.match(printed[0]!, /^node1 {2}gov height \d+/);
  assert.equal(printed[1], 'registry not read: this network has no governance chain: its layout was made before gov existed');

  // The e2e `bsn status` after `bsn down` still matches its line for a stopped node.
  const down = await bsn(work, 'status', '--dir', 'dead');
  assert.match(down.stdout, /node1 {2}down/);
  assert.match(down.stdout, /^registry not read: /m);
});
