import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getSuite } from '../../src/crypto/index.js';
import { isAlive, loadLayout, readPids } from '../../src/network/devnet.js';
import { KvClient } from '../../src/sdk/kv-client.js';
import { bsn, tempDir } from '../cli/helpers.js';
import { basePortFor } from './harness.js';

test('bsn up starts four city nodes that commit; bsn status sees them; bsn down stops them gracefully', async (t) => {
  const dir = tempDir(t, 'bsn-up-');
  const base = await basePortFor(20);
  const net = path.join(dir, 'net');
  t.after(async () => {
    await bsn(dir, 'down', '--dir', net);
  });
  const up = await bsn(dir, 'up', '--dir', net, '--base-port', String(base), '--json');
  assert.equal(up.code, 0, up.stderr);
  const summary = JSON.parse(up.stdout) as { nodes: { name: string; http: string }[]; chain: string };
  assert.equal(summary.nodes.length, 4);
  assert.equal(summary.chain, 'demo');

  const user = getSuite('secp256k1').generateKeyPair();
  const written = await new KvClient(summary.nodes[0]!.http, 'demo').put(user.privateKey, new TextEncoder().encode('k'), new TextEncoder().encode('v'));
  assert.equal(written.height, 1);
  const read = await new KvClient(summary.nodes[3]!.http, 'demo').get(new TextEncoder().encode('k'));
  assert.equal(new TextDecoder().decode(read.value), 'v');

  const status = await bsn(dir, 'status', '--dir', net, '--json');
  assert.equal(status.code, 0, status.stderr);
  const nodes = (JSON.parse(status.stdout) as { nodes: { status: { peers: string[]; chains: { height: number }[] } }[] }).nodes;
  for (const n of nodes) {
    assert.equal(n.status.peers.length, 3);
    assert.ok(n.status.chains[0]!.height >= 1);
  }

  // A second `up` on a running network starts nothing new.
  const pids = readPids(net);
  assert.equal((await bsn(dir, 'up', '--dir', net, '--base-port', String(base), '--json')).code, 0);
  assert.deepEqual(readPids(net), pids);

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
