import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCrl, parseCertificatePem, parseCrlPem, revokeCertificate } from '../../src/pki/index.js';
import { CrlReloader } from '../../src/node/crl-reloader.js';
import { LogRecorder, startNode, testNet, waitFor, sleep, type TestNode } from '../../src/p2p/harness.test.js';
import { startSingleNode } from '../support/single-node.js';

const secret = { passphrase: 'correct horse battery staple' };

/** node1 and node2 dial each other; node1 follows its CRL files with a reloader. */
async function connectedPair(t: Parameters<typeof testNet>[0]) {
  const net = await testNet(t, ['node1', 'node2']);
  const files = [path.join(net.pki.dir, 'root.crl'), path.join(net.pki.dir, 'op.crl')];
  const a = await startNode(t, net, net.ids[0]!);
  const b = await startNode(t, net, net.ids[1]!);
  a.manager.addPersistentPeer({ host: '127.0.0.1', port: b.port, name: 'node2' });
  b.manager.addPersistentPeer({ host: '127.0.0.1', port: a.port, name: 'node1' });
  a.manager.start();
  b.manager.start();
  await waitFor(() => a.manager.connections().length === 1 && b.manager.connections().length === 1, 5_000, 'the pair to connect');
  const log = new LogRecorder();
  const expiry = new Map<string, number>();
  const reloader = new CrlReloader({
    files,
    initialPems: net.crlPems,
    apply: (pems) => a.manager.updateCrls(pems),
    intervalMs: 0,
    onExpiry: (issuer, seconds) => expiry.set(issuer, seconds),
    log,
  });
  reloader.start();
  t.after(() => reloader.close());
  return { net, files, a, b, reloader, log, expiry };
}

/** The node certificate of a chain PEM (node certificate first, then its operator CA). */
const firstPem = (chain: string) => chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length) + '\n';

const dialFailures = (n: TestNode) => n.logs.entries.filter((e) => e.msg === 'dial failed').length;

test('H6: revoking a connected peer and writing the new CRL file drops it within a second, without a restart, and it cannot come back', async (t) => {
  const { net, a, log, expiry } = await connectedPair(t);
  assert.equal(expiry.size, 2, 'the expiry of both CRLs is reported at start');
  await net.pki.revoke(firstPem(net.ids[1]!.certChainPem));
  const started = Date.now();
  await net.pki.crls(); // rewrites root.crl and op.crl in place (by rename), as `bsn ca crl` does
  const ms = await waitFor(() => a.manager.connections().length === 0, 3_000, 'the revoked peer to be dropped');
  t.diagnostic(`dropped ${Date.now() - started} ms after the CRL files were written (waited ${ms} ms)`);
  assert.ok(log.has('CRLs reloaded', { trigger: 'file change' }));
  assert.ok(a.logs.has('dropped a revoked peer', { peer: 'node2', code: 'P2P_PEER_REVOKED' }));
  assert.equal(a.manager.metrics().revokedDrops, 1);

  // node2 still has the old CRLs and keeps dialling node1: every handshake is refused now.
  const failuresBefore = dialFailures(a);
  await waitFor(() => a.logs.entries.filter((e) => e.msg === 'peer refused at the TLS handshake' && e.obj.code === 'P2P_PEER_REVOKED').length >= 2, 5_000, 'node2 to be refused at the handshake');
  await sleep(300);
  assert.equal(a.manager.connections().length, 0, 'node2 did not get back in');
  assert.equal(dialFailures(a), failuresBefore, 'node1 does not redial the revoked node');
});

test("H6: revoking a peer's operator CA at the root drops the peer too", async (t) => {
  const { net, a } = await connectedPair(t);
  await revokeCertificate({ caDir: path.join(net.pki.dir, 'root'), cert: parseCertificatePem(net.pki.operatorPem), secret });
  await generateCrl({ caDir: path.join(net.pki.dir, 'root'), out: path.join(net.pki.dir, 'root.crl'), secret });
  await waitFor(() => a.manager.connections().length === 0, 3_000, 'the peer of a revoked operator to be dropped');
  assert.ok(a.logs.has('dropped a revoked peer', { peer: 'node2', code: 'P2P_PEER_REVOKED' }));
});

test('H6: a CRL file that is not a CRL is a typed error in the log; the CRLs in force stay and the peer stays connected', async (t) => {
  const { files, a, reloader, log } = await connectedPair(t);
  const good = readFileSync(files[1]!, 'utf8');
  writeFileSync(files[1]!, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
  assert.equal(reloader.reload('SIGHUP'), 'failed');
  assert.ok(log.has('CRL reload failed; the CRLs in force stay', { trigger: 'SIGHUP', code: 'NODE_CRL_RELOAD' }));
  writeFileSync(files[1]!, 'not a pem at all');
  assert.equal(reloader.reload('SIGHUP'), 'failed');
  await sleep(300);
  assert.equal(a.manager.connections().length, 1);
  writeFileSync(files[1]!, good);
  assert.equal(reloader.reload('SIGHUP'), 'unchanged', 'the same CRLs as in force: nothing to apply');
});

test('H6: a CRL close to its nextUpdate is warned about and its seconds left are reported; an expired one too', async (t) => {
  const net = await testNet(t, ['node1']);
  const dir = net.pki.dir;
  const now = Date.now();
  const file = path.join(dir, 'soon.crl');
  await generateCrl({ caDir: path.join(dir, 'op1'), out: file, secret, days: 1 });
  const log = new LogRecorder();
  const seen: [string, number][] = [];
  const pem = readFileSync(file, 'utf8');
  const make = (at: number) =>
    new CrlReloader({ files: [file], initialPems: [pem], apply: () => undefined, intervalMs: 0, watch: false, expiryWarningMs: 48 * 3_600_000, now: () => at, onExpiry: (i, s) => seen.push([i, s]), log });
  const soon = make(now);
  soon.start();
  soon.close();
  assert.ok(log.has('CRL expires soon: publish a fresh one (bsn ca crl) before its nextUpdate', { hoursLeft: 23 }) || log.has('CRL expires soon: publish a fresh one (bsn ca crl) before its nextUpdate', { hoursLeft: 24 }));
  assert.ok(seen[0]![1] > 23 * 3600 && seen[0]![1] <= 24 * 3600 + 60, `seconds left ${seen[0]![1]}`);
  const late = make(now + 2 * 86_400_000);
  late.start();
  late.close();
  assert.ok(log.entries.some((e) => e.msg.startsWith('CRL expired')));
  assert.ok(seen[1]![1] < 0);
  // A CRL with plenty of time left is reported but not warned about.
  const calm = new LogRecorder();
  const fresh = new CrlReloader({ files: [file], initialPems: [pem], apply: () => undefined, intervalMs: 0, watch: false, expiryWarningMs: 3_600_000, now: () => now, log: calm });
  fresh.start();
  fresh.close();
  assert.equal(calm.entries.length, 0);
});

test('H6: CityNode.reloadCrls (the SIGHUP path) hands new CRLs to its listeners (the gateway authenticator in bsn node start)', async (t) => {
  const { node, pki, stop } = await startSingleNode(['kv1']);
  t.after(stop);
  const got: (readonly string[])[] = [];
  node.onCrlsReloaded((pems) => got.push(pems));
  assert.equal(node.reloadCrls('test'), 'unchanged');
  const alice = await pki.issue('alice', 'user');
  await pki.revoke(alice.certPem);
  const [root, op] = await pki.crls();
  const dir = path.join(pki.dir, 'node1');
  writeFileSync(path.join(dir, 'crl0.pem'), root!);
  writeFileSync(path.join(dir, 'crl1.pem'), op!);
  // The file watch may get there first; either way the listener hears of it once.
  const outcome = node.reloadCrls('test');
  await waitFor(() => got.length === 1, 2_000, 'the listener');
  assert.ok(outcome === 'applied' || outcome === 'unchanged');
  assert.deepEqual(parseCrlPem(got[0]![1]!).revoked.map((e) => e.serial), [parseCertificatePem(alice.certPem).serial]);
  const metrics = (await node.metrics.render()).body;
  assert.match(metrics, /bsn_crl_next_update_seconds\{issuer="[^"]*Operator[^"]*"\} \d+/);
});
