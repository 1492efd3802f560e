/*
 * The Hardhat peer of bench:peers as a real process: started from its own temp project, found by
 * its port, stopped. (The BSN peer is `bsn up`'s network, tested in test/e2e.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertPortFree, externalPeer, startHardhat } from '../../bench/peers-targets.js';
import { findListeningPids } from '../../src/bench/resources.js';
import { isAlive } from '../../src/network/devnet.js';

const PORT = 43260;

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: unknown }).result;
}

test('startHardhat: a Hardhat node on loopback with the dev accounts funded, its process found by port, then stopped', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-peers-hh-'));
  const peer = await startHardhat(path.join(dir, 'hardhat'), PORT, () => {});
  try {
    assert.equal(peer.url, `http://127.0.0.1:${PORT}`);
    assert.equal(await rpc(peer.url, 'eth_chainId'), '0x7a69');
    // Account 0 of "test test … junk", the funder bench files default to: 10,000 ETH.
    assert.equal(await rpc(peer.url, 'eth_getBalance', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest']), '0x21e19e0c9bab2400000');
    assert.equal(peer.processes.length, 1);
    assert.deepEqual(findListeningPids(PORT), [peer.processes[0]!.pid]);
    // A second start on the same port is refused before anything is spawned.
    await assert.rejects(startHardhat(path.join(dir, 'again'), PORT, () => {}), /127\.0\.0\.1:43260 is in use/);
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(isAlive(peer.processes[0]!.pid), false);
  assert.deepEqual(findListeningPids(PORT), []);
});

test('externalPeer: name=url, local processes found by port, bad specs refused', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const peer = externalPeer(`ganache=http://127.0.0.1:${port}`);
    assert.equal(peer.name, 'ganache');
    assert.equal(peer.url, `http://127.0.0.1:${port}`);
    assert.deepEqual(peer.processes, [{ pid: process.pid, name: 'ganache' }]);
    await assert.rejects(assertPortFree(port), /is in use/);
    assert.deepEqual(externalPeer('besu=http://10.0.0.9:8545').processes, []);
    assert.throws(() => externalPeer('http://127.0.0.1:8545'), /expected name=url/);
    assert.throws(() => externalPeer('bsn=http://127.0.0.1:8545'), /not 'bsn'/);
    assert.throws(() => externalPeer('x y=http://127.0.0.1:8545'), /the name must be/);
    assert.throws(() => externalPeer('g=not a url'), TypeError);
  } finally {
    server.close();
  }
});
