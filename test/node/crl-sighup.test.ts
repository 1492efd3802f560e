import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerManager } from '../../src/p2p/index.js';
import { makeTestPki } from '../support/network-pki.js';
import { spawnOwned, stopOwned } from '../support/processes.js';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

async function until(predicate: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

test('H6: SIGHUP makes a running node process read its CRL files again and drop the peer they revoke', async (t) => {
  const pki = await makeTestPki();
  t.after(() => pki.cleanup());
  const crls = await pki.crls();
  const node1 = await pki.issue('node1');
  const node2 = await pki.issue('node2');
  const peer = new PeerManager({ transport: { certChainPem: node2.certChainPem, keyPem: node2.keyPem, rootPem: pki.rootPem, crlPems: crls } });
  const { port } = await peer.listen(0);
  t.after(() => peer.close());

  const dir = path.join(pki.dir, 'node1');
  mkdirSync(dir);
  for (const [name, text] of Object.entries({ 'root.pem': pki.rootPem, 'op.pem': pki.operatorPem, 'cert.pem': node1.certPem, 'key.pem': node1.keyPem })) writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  const config = {
    name: 'node1',
    dataDir: 'data',
    // No watch, no periodic reload: only the signal can bring the new CRLs in.
    network: { rootCert: 'root.pem', crls: ['../root.crl', '../op.crl'], crlWatch: false, crlReloadIntervalMs: 0 },
    tls: { cert: 'cert.pem', chain: ['op.pem'], key: 'key.pem' },
    p2p: { listen: '127.0.0.1:0', peers: [{ host: '127.0.0.1', port, name: 'node2' }] },
    http: { listen: '127.0.0.1:0' },
    log: { level: 'info' },
  };
  writeFileSync(path.join(dir, 'node.json'), JSON.stringify(config));
  const child = spawnOwned(process.execPath, ['--import', 'tsx', path.join(REPO, 'src', 'cli', 'main.ts'), 'node', 'start', '--config', path.join(dir, 'node.json')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => stopOwned(child, 'SIGTERM'));
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const logged = (msg: string) => lines.find((l) => l.msg === msg);

  await until(() => logged('ready') !== undefined || child.exitCode !== null, 30_000, `the node to start (${stderr})`);
  await until(() => peer.connections().length === 1, 10_000, 'node1 to dial node2');

  await pki.revoke(node2.certPem);
  await pki.crls();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(peer.connections().length, 1, 'without the signal nothing changed');

  child.kill('SIGHUP');
  const ms = await until(() => peer.connections().length === 0, 5_000, 'the revoked peer to be dropped after SIGHUP');
  t.diagnostic(`dropped ${ms} ms after SIGHUP`);
  await until(() => logged('SIGHUP: CRL files read') !== undefined, 2_000, 'the SIGHUP log line');
  assert.equal(logged('SIGHUP: CRL files read')!.outcome, 'applied');
  assert.ok(logged('dropped a revoked peer'));
  assert.equal(child.exitCode, null, 'SIGHUP did not end the node');
});
