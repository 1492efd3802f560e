import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getSuite } from '../../src/crypto/index.js';
import { isAlive, loadLayout, readOpsToken, readPids } from '../../src/network/devnet.js';
import { KvClient } from '../../src/sdk/kv-client.js';
import { bsn, tempDir } from '../cli/helpers.js';
import { basePortFor, upDir } from './util.js';

interface UpSummary {
  readonly kvChain: string;
  readonly evmChain: string;
  readonly evmChainId: number;
  readonly nodes: { name: string; http: string; gateway: string; rpc: string }[];
  readonly accounts: { list: { address: string; privateKey: string }[] };
}

/** Account #0 of the development mnemonic, as Hardhat and Foundry print it. */
const HARDHAT_0 = { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' };

async function rpc(url: string, method: string, params: unknown[]): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: string; error?: unknown };
  assert.equal(body.error, undefined, JSON.stringify(body.error));
  return body.result!;
}

test('bsn up starts four city nodes that commit; bsn status sees them; bsn down stops them gracefully', async (t) => {
  // One cleanup, nodes first: a temp dir removed before `bsn down` ran left four nodes running.
  const { dir, net } = upDir(t, 'bsn-up-');
  const base = await basePortFor(20);
  const up = await bsn(dir, 'up', '--dir', net, '--base-port', String(base), '--json');
  assert.equal(up.code, 0, up.stderr);
  const summary = JSON.parse(up.stdout) as UpSummary;
  assert.equal(summary.nodes.length, 4);
  assert.equal(summary.kvChain, 'kv');
  assert.equal(summary.evmChain, 'demo');
  assert.equal(summary.evmChainId, 4242);
  assert.equal(summary.accounts.list.length, 10);
  assert.deepEqual(summary.accounts.list[0], { address: HARDHAT_0.address, privateKey: HARDHAT_0.privateKey });
  for (const [i, n] of summary.nodes.entries()) {
    assert.equal(n.gateway, `http://127.0.0.1:${base + i * 10 + 2}`);
    assert.equal(n.rpc, `${n.gateway}/apps/demo/rpc`);
  }

  const user = getSuite('secp256k1').generateKeyPair();
  const token = readOpsToken(net)!;
  // The operations endpoint's /chains/* routes need the network's operations token.
  await assert.rejects(new KvClient(summary.nodes[0]!.http, 'kv').get(new TextEncoder().encode('k')), { code: 'HTTP_OPS_TOKEN_REQUIRED' });
  const written = await new KvClient(summary.nodes[0]!.http, 'kv', { token }).put(user.privateKey, new TextEncoder().encode('k'), new TextEncoder().encode('v'));
  assert.equal(written.height, 1);
  const read = await new KvClient(summary.nodes[3]!.http, 'kv', { token }).get(new TextEncoder().encode('k'));
  assert.equal(new TextDecoder().decode(read.value), 'v');
  // `bsn kv` finds the token of the network in --dir by itself.
  const cli = await bsn(dir, 'kv', 'get', '--node', summary.nodes[2]!.http, '--dir', net, 'k');
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.trim(), 'v');
  // The demo chain is the EVM chain: its JSON-RPC answers on every node, the dev accounts funded.
  assert.equal(await rpc(summary.nodes[3]!.rpc, 'eth_chainId', []), '0x1092');
  assert.equal(BigInt(await rpc(summary.nodes[1]!.rpc, 'eth_getBalance', [HARDHAT_0.address, 'latest'])), 10_000n * 10n ** 18n);

  const status = await bsn(dir, 'status', '--dir', net, '--json');
  assert.equal(status.code, 0, status.stderr);
  const nodes = (JSON.parse(status.stdout) as { nodes: { gateway: string; status: { peers: string[]; chains: { chainId: string; height: number }[] } }[] }).nodes;
  for (const [i, n] of nodes.entries()) {
    assert.equal(n.status.peers.length, 3);
    assert.ok(n.status.chains.find((c) => c.chainId === 'kv')!.height >= 1);
    assert.deepEqual(n.status.chains.map((c) => c.chainId).sort(), ['demo', 'gov', 'kv']);
    assert.equal(n.gateway, summary.nodes[i]!.gateway);
  }

  // A second `up` on a running network starts nothing new, and prints the endpoints and dev keys.
  const pids = readPids(net);
  const again = await bsn(dir, 'up', '--dir', net, '--base-port', String(base));
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readPids(net), pids);
  assert.ok(again.stdout.includes(`'demo' JSON-RPC ${summary.nodes[3]!.rpc}  (chain id 4242; ws:// on the same path)`), again.stdout);
  assert.ok(again.stdout.includes(`(0) ${HARDHAT_0.address}  ${HARDHAT_0.privateKey}`), again.stdout);

  const down = await bsn(dir, 'down', '--dir', net, '--json');
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual((JSON.parse(down.stdout) as { stopped: string[] }).stopped.sort(), ['node1', 'node2', 'node3', 'node4']);
  for (const pid of Object.values(pids)) assert.equal(isAlive(pid), false);
  // SIGTERM is a graceful stop: every node logged its orderly shutdown.
  for (const node of loadLayout(net)!.nodes) assert.match(readFileSync(node.log, 'utf8'), /"msg":"city node stopped"/);
  const statusDown = await bsn(dir, 'status', '--dir', net);
  assert.match(statusDown.stdout, /node1 {2}down/);
});

test('bsn up refuses a directory that is not a BSN network; down and status need one', async (t) => {
  const dir = tempDir(t, 'bsn-up-');
  const notNet = path.join(dir, 'stuff');
  mkdirSync(notNet, { recursive: true });
  writeFileSync(path.join(notNet, 'file.txt'), 'mine');
  const up = await bsn(dir, 'up', '--dir', notNet);
  assert.equal(up.code, 1);
  assert.match(up.stderr, /is not a BSN local network; choose another --dir \[DEVNET\]/);
  assert.equal(readFileSync(path.join(notNet, 'file.txt'), 'utf8'), 'mine');
  const down = await bsn(dir, 'down', '--dir', path.join(dir, 'none'));
  assert.equal(down.code, 1);
  assert.match(down.stderr, /no local network/);
  assert.match((await bsn(dir, 'up', '--base-port', 'x')).stderr, /--base-port must be a positive integer/);
});
