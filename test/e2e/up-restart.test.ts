/*
 * `bsn up` where users run it: a node killed with SIGKILL (a zombie until PID 1 reaps it) is
 * restarted by the next `bsn up`; a pid file naming an unrelated live process neither passes for
 * a running node nor gets that process signalled; a node whose port is taken exits non-zero with
 * the reason, and `bsn up` reports it instead of waiting out its timeout.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { isAlive, isNodeProcess, loadLayout, readPids } from '../../src/network/devnet.js';
import { bsn } from '../cli/helpers.js';
import { basePortFor, sleep, upDir, waitFor } from './util.js';

async function holdPort(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

// One network for the file; its nodes are killed by their pids, then its directory removed, at the end.
const { dir, net } = upDir({ after }, 'bsn-up-restart-');
const configOf = (name: string) => path.join(loadLayout(net)!.dir, name, 'node.json');
let base = 0;
const shared: { stranger?: ChildProcess } = {};
after(() => {
  shared.stranger?.kill('SIGKILL');
});

test('bsn up restarts a SIGKILLed node and one whose pid now belongs to an unrelated process', { timeout: 60_000 }, async (t) => {
  base = await basePortFor(21);
  const first = await bsn(dir, 'up', '--dir', net, '--base-port', String(base), '--json');
  assert.equal(first.code, 0, first.stderr);
  const pids = readPids(net);
  for (const n of loadLayout(net)!.nodes) assert.ok(isNodeProcess(pids[n.name]!, configOf(n.name)), `${n.name} is its node`);

  // SIGKILL node2. Its parent (`bsn up`) is gone, so it is PID 1's to reap, maybe late: a zombie.
  process.kill(pids.node2!, 'SIGKILL');
  // And a stale pid file: node3 is gone, its pid now an unrelated live process's.
  const stranger = (shared.stranger = spawn('sleep', ['120'], { stdio: 'ignore', detached: true }));
  assert.equal(isNodeProcess(stranger.pid!, configOf('node3')), false);
  assert.equal(isNodeProcess(process.pid, configOf('node3')), false);
  process.kill(pids.node3!, 'SIGKILL');
  await waitFor(() => !isAlive(pids.node2!) && !isAlive(pids.node3!), { timeoutMs: 5000, message: () => 'node2 and node3 to die' });
  writeFileSync(path.join(net, 'pids.json'), JSON.stringify({ ...pids, node3: stranger.pid }));
  const again = await bsn(dir, 'up', '--dir', net, '--base-port', String(base), '--json');
  assert.equal(again.code, 0, again.stderr);
  const now = readPids(net);
  t.after(() => {
    // Not in the pid file `bsn down` sees below: stopped here (upDir's /proc scan would too).
    if (isAlive(now.node3!)) process.kill(now.node3!, 'SIGKILL');
  });
  assert.notEqual(now.node2, pids.node2);
  assert.notEqual(now.node3, stranger.pid);
  for (const name of ['node2', 'node3']) assert.ok(isNodeProcess(now[name]!, configOf(name)), `${name} restarted`);
  assert.equal(now.node1, pids.node1, 'a running node is not started twice');
});

test('bsn down signals only its nodes, never an unrelated process its pid file names', { timeout: 60_000 }, async () => {
  const now = readPids(net);
  const stranger = shared.stranger;
  assert.ok(stranger?.pid && now.node1, 'the network and the stranger of the test before');
  // The stranger in the pid file again, in node3's place.
  writeFileSync(path.join(net, 'pids.json'), JSON.stringify({ ...now, node3: stranger.pid }));
  const down = await bsn(dir, 'down', '--dir', net, '--json');
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual((JSON.parse(down.stdout) as { stopped: string[] }).stopped.sort(), ['node1', 'node2', 'node4']);
  assert.equal(isAlive(stranger.pid!), true, 'the unrelated process was not signalled');
});

test('a node whose gateway port is taken exits 1 with the reason, and bsn up reports it before its timeout', { timeout: 60_000 }, async (t) => {
  assert.ok(base > 0 && loadLayout(net), 'the network of the test before');
  const gatewayPort = loadLayout(net)!.nodes[3]!.gatewayPort!;
  const held = await holdPort(gatewayPort);
  t.after(() => {
    held.close();
  });
  const direct = await bsn(dir, 'node', 'start', '--config', configOf('node4'));
  assert.equal(direct.code, 1);
  assert.match(direct.stderr, new RegExp(`cannot start the gateway listener on 127\\.0\\.0\\.1:${gatewayPort}: the address is already in use \\[NODE_LISTEN_FAILED\\]`));
  const started = Date.now();
  const blocked = await bsn(dir, 'up', '--dir', net, '--base-port', String(base));
  assert.equal(blocked.code, 1);
  assert.match(blocked.stderr, new RegExp(`node4 exited \\(.*cannot start the gateway listener on 127\\.0\\.0\\.1:${gatewayPort}: the address is already in use`));
  assert.ok(Date.now() - started < 25_000, `reported after ${Date.now() - started} ms, before the 30 s timeout`);
  await bsn(dir, 'down', '--dir', net);
});

test('isAlive: a zombie is not alive; isNodeProcess: only a node start of that config is the node', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  // `sleep 0 &` under a shell that then execs `sleep 5`: nobody reaps the first sleep, a zombie for 5 s.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    await sleep(300);
    assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(0) still answers for a zombie');
    assert.equal(isAlive(zombie), false);
    assert.equal(isAlive(parent.pid!), true);
    assert.equal(isNodeProcess(parent.pid!, '/nowhere/node.json'), false);
    assert.equal(isAlive(2 ** 22 + 12_345), false);
  } finally {
    parent.kill('SIGKILL');
  }
});
