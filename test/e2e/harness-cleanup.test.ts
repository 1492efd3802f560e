/*
 * The harnesses' processes die with the run that started them, whatever happens: a child spawned
 * with spawnOwned leads its own process group, and the group (grandchildren too) is killed when
 * the harness stops it and when the harness process exits, even by an uncaught error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isAlive, isNodeProcess } from '../../src/network/devnet.js';
import { spawnOwned, stopOwned } from '../support/processes.js';
import { upDir, waitFor } from './util.js';

const PROCESSES = fileURLToPath(new URL('../support/processes.ts', import.meta.url));
/** A shell that starts a grandchild and prints its pid, then waits. */
const TREE = ['-c', 'sleep 60 & echo $!; wait'];

test('stopOwned kills the whole group: the child and what it started', async () => {
  const child = spawnOwned('sh', TREE, { stdio: ['ignore', 'pipe', 'ignore'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const grandchild = Number(line.toString().trim());
  assert.equal(isAlive(grandchild), true);
  await stopOwned(child);
  await waitFor(() => !isAlive(grandchild), { timeoutMs: 5000, message: () => `grandchild ${grandchild} still alive` });
});

test('a harness process that dies of an uncaught error takes its process groups with it', async () => {
  const script = `
    import { spawnOwned } from ${JSON.stringify(PROCESSES)};
    const child = spawnOwned('sh', ${JSON.stringify(TREE)}, { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', (line) => {
      process.stdout.write(String(child.pid) + ' ' + line.toString());
      throw new Error('the test failed');
    });`;
  const out = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], (_err, stdout) => resolve(stdout));
  });
  const [child, grandchild] = out.trim().split(/\s+/).map(Number);
  assert.ok(child && grandchild, `pids from the harness: '${out}'`);
  await waitFor(() => !isAlive(child) && !isAlive(grandchild), { timeoutMs: 5000, message: () => `child ${child} or grandchild ${grandchild} outlived the harness` });
});

test('upDir: the cleanup kills the nodes `bsn up` started (by their pids in the net dir) before it removes the dir', async () => {
  const hooks: (() => void | Promise<void>)[] = [];
  const { net } = upDir({ after: (fn) => void hooks.push(fn) }, 'bsn-updir-');
  const config = path.join(net, 'node1', 'node.json');
  mkdirSync(path.dirname(config), { recursive: true });
  // A stand-in for a detached `bsn node start`: its command line is one, for this net's node1.
  const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'node', 'start', '--config', config], { detached: true, stdio: 'ignore' });
  node.unref();
  const layout = { version: 1, dir: net, chainId: 'kv', rootFingerprint: '', nodes: [{ name: 'node1', operator: 'op1', p2pPort: 1, httpPort: 2, config, log: path.join(net, 'node1', 'node.log') }] };
  writeFileSync(path.join(net, 'devnet.json'), JSON.stringify(layout));
  writeFileSync(path.join(net, 'pids.json'), JSON.stringify({ node1: node.pid }));
  // And one the pid file does not name (`bsn down` removed it, or a test overwrote it).
  const unlisted = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'node', 'start', '--config', path.join(net, 'node2', 'node.json')], { detached: true, stdio: 'ignore' });
  unlisted.unref();
  await waitFor(() => isNodeProcess(node.pid!, config), { timeoutMs: 5000, message: () => 'the stand-in to start' });
  for (const hook of hooks) await hook();
  await waitFor(() => !isAlive(node.pid!) && !isAlive(unlisted.pid!), { timeoutMs: 5000, message: () => `node ${node.pid} or ${unlisted.pid} outlived its test's cleanup` });
  assert.equal(existsSync(net), false);
});
