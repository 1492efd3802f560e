import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { getSuite } from '../../src/crypto/index.js';
import { readPrivateKeyPem } from '../../src/pki/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { CityNode, parseNodeConfig } from '../../src/node/index.js';
import { makeTestPki } from '../support/network-pki.js';

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('two city nodes host three chains over one connection each way; each chain commits on its own', async (t) => {
  const pki = await makeTestPki();
  t.after(() => pki.cleanup());
  const crls = await pki.crls();
  const names = ['node1', 'node2'];
  const leaves = await Promise.all(names.map((n) => pki.issue(n)));
  const publicKeys = leaves.map((l) => Buffer.from(readPrivateKeyPem(l.keyPem).publicKey.bytes).toString('hex'));
  const dir = path.join(pki.dir, 'nodes');
  mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };
  write('root.pem', pki.rootPem);
  write('op.pem', pki.operatorPem);
  write('crl0.pem', crls[0]!);
  write('crl1.pem', crls[1]!);
  // alpha and beta are run by both nodes; gamma only by node1 (node2 follows nothing of it).
  const chains = { alpha: [0, 1], beta: [0, 1], gamma: [0] } as const;
  for (const [chainId, validators] of Object.entries(chains)) {
    write(`${chainId}.json`, JSON.stringify({ chainId, suite: 'ecdsa-p256', app: 'kv', time: 0, validators: validators.map((i) => ({ name: names[i], publicKey: publicKeys[i], power: 1 })) }));
  }
  const ports = [0, 0];
  const nodes: CityNode[] = [];
  t.after(async () => {
    for (const n of nodes) await n.stop();
  });
  for (const [i, name] of names.entries()) {
    write(`${name}-cert.pem`, leaves[i]!.certPem);
    write(`${name}-key.pem`, leaves[i]!.keyPem);
    const hosted = Object.entries(chains).filter(([c]) => i === 0 || c !== 'gamma').map(([c]) => ({ genesis: `${c}.json` }));
    const config = parseNodeConfig(
      JSON.stringify({
        name,
        dataDir: `data-${name}`,
        network: { rootCert: 'root.pem', crls: ['crl0.pem', 'crl1.pem'] },
        tls: { cert: `${name}-cert.pem`, chain: ['op.pem'], key: `${name}-key.pem` },
        p2p: { listen: '127.0.0.1:0', peers: i === 1 ? [{ host: '127.0.0.1', port: ports[0], name: 'node1' }] : [] },
        http: { listen: '127.0.0.1:0' },
        chains: hosted,
        mempool: { verifyWorkers: 1 },
      }),
      dir,
    );
    const node = await CityNode.start(config, pino({ level: 'silent' }));
    nodes.push(node);
    ports[i] = Number(node.p2pAddress.split(':')[1]);
  }
  const [n1, n2] = nodes as [CityNode, CityNode];
  await waitFor(() => n1.peers.connections().length === 1 && n2.peers.connections().length === 1, 10_000, 'the connection');

  const suite = getSuite('ecdsa-p256');
  const user = suite.generateKeyPair();
  const enc = new TextEncoder();
  const tx = (chainId: string, nonce: number) => buildKvTx({ chainId, privateKey: user.privateKey, nonce, ops: [{ type: 'put', key: enc.encode('k'), value: enc.encode(`${chainId}-${nonce}`) }] });
  // Submitted at node2 for alpha, at node1 for beta and gamma: gossip carries them across.
  const [a0, b0, b1, g0] = [tx('alpha', 0), tx('beta', 0), tx('beta', 1), tx('gamma', 0)];
  const alpha = n2.commitWaiter('alpha', a0, 20_000);
  await n2.submit('alpha', a0);
  const beta = n1.commitWaiter('beta', b0, 20_000);
  await n1.submit('beta', b0);
  await n1.submit('beta', b1);
  const gamma = n1.commitWaiter('gamma', g0, 20_000);
  await n1.submit('gamma', g0);
  const settled = await Promise.allSettled([alpha, beta, gamma]);
  assert.deepEqual(settled.map((s) => (s.status === 'fulfilled' ? s.value : `${s.reason}`)), [1, 1, 1], JSON.stringify([n1.status(), n2.status()]));
  await waitFor(() => n2.chains.get('beta')!.store.height >= 1 && n1.chains.get('beta')!.mempool.count === 0, 20_000, 'beta to drain');

  // One TLS connection carries every chain; a chain a transaction was not for never sees it.
  assert.equal(n1.peers.connections().length, 1);
  assert.equal(n2.chains.has('gamma'), false);
  await assert.rejects(n2.submit('gamma', tx('gamma', 1)), /does not host chain 'gamma'/);
  const read = async (node: CityNode, chainId: string) => new TextDecoder().decode((await node.chains.get(chainId)!.app.query('get', enc.encode('k'))).value);
  assert.equal(await read(n1, 'alpha'), 'alpha-0');
  assert.equal(await read(n2, 'alpha'), 'alpha-0');
  assert.match(await read(n2, 'beta'), /^beta-/);
  assert.equal(await read(n1, 'gamma'), 'gamma-0');
  assert.equal(n1.chains.get('alpha')!.store.height, n2.chains.get('alpha')!.store.height);
});
