import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initDevnet, readOpsToken } from '../../src/network/devnet.js';
import { initJoiningNode, type NodeInitOptions } from '../../src/network/node-init.js';
import { loadNodeConfig } from '../../src/node/index.js';
import { generateCrl, initOperator, issueLeaf, parseCertificatePem, revokeCertificate, signOperatorCsr } from '../../src/pki/index.js';
import { makeTestPki } from '../support/network-pki.js';
import { bsn, listFiles, oneLineError } from './helpers.js';

/**
 * `bsn node init` for node5 of a new operator op3 joining a `bsn up` network (no process runs),
 * as the acceptance of issue 12 does it; then every bad input, each refused with its code and
 * nothing written.
 */

const work = mkdtempSync(path.join(tmpdir(), 'bsn-node-init-'));
const net = path.join(work, 'net');
const at = (...parts: string[]) => path.join(work, ...parts);
test.after(() => rmSync(work, { recursive: true, force: true }));

const setup = (async () => {
  const layout = await initDevnet(net, 29_200, () => undefined);
  const secret = { passphrase: readFileSync(path.join(net, 'pki', 'passphrase.txt'), 'utf8').trim() };
  const { csrPem } = initOperator({ dir: at('op3'), name: 'Operator Three', suite: 'ecdsa-p256', passphrase: secret.passphrase });
  await signOperatorCsr({ caDir: path.join(net, 'pki', 'root'), csrPem, out: at('op3', 'ca.pem'), secret });
  await issueLeaf({ caDir: at('op3'), out: at('node5'), kind: 'node', name: 'node5', sans: ['127.0.0.1'], secret });
  // node6 of op1, revoked in op1's CRL; node7 of op3, expired.
  await issueLeaf({ caDir: path.join(net, 'pki', 'op1'), out: at('node6'), kind: 'node', name: 'node6', sans: ['127.0.0.1'], secret });
  await revokeCertificate({ caDir: path.join(net, 'pki', 'op1'), cert: parseCertificatePem(readFileSync(at('node6', 'cert.pem'), 'utf8')), secret });
  await generateCrl({ caDir: path.join(net, 'pki', 'op1'), out: path.join(net, 'pki', 'op1', 'crl.pem'), secret, days: 365 });
  await issueLeaf({ caDir: at('op3'), out: at('node7'), kind: 'node', name: 'node7', sans: ['127.0.0.1'], secret, now: new Date(Date.now() - 3 * 86_400_000), days: 1 });
  await issueLeaf({ caDir: at('op3'), out: at('node8'), kind: 'node', name: 'node8', sans: ['127.0.0.1'], secret, keyPassphrase: 'a key passphrase' });
  return layout;
})();

const node5 = (out: string, extra: Partial<NodeInitOptions> = {}): NodeInitOptions => ({
  network: net,
  cert: at('node5', 'cert.pem'),
  key: at('node5', 'key.pem'),
  chain: [at('op3', 'ca.pem')],
  basePort: 27_040,
  out: at(out, 'node.json'),
  ...extra,
});

test('bsn node init --network: a config for node5 that loads, hosts gov only, peers with the four nodes', async () => {
  const layout = await setup;
  const run = await bsn(work, 'node', 'init', '--network', 'net', '--cert', 'node5/cert.pem', '--key', 'node5/key.pem', '--chain', 'op3/ca.pem', '--base-port', '27040', '--out', 'node5/node.json', '--json');
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { ok: boolean; name: string; config: string; operator: string };
  assert.equal(result.ok, true);
  assert.equal(result.name, 'node5');
  assert.equal(result.operator, 'CN=Operator Three');
  const config = loadNodeConfig(at('node5', 'node.json'));
  assert.equal(config.name, 'node5');
  assert.equal(config.dataDir, at('node5', 'data'));
  assert.equal(config.p2p.listen, '127.0.0.1:27040');
  assert.equal(config.http.listen, '127.0.0.1:27041');
  assert.equal(config.gateway?.listen, '127.0.0.1:27042');
  assert.deepEqual(config.p2p.peers, layout.nodes.map((n) => ({ host: '127.0.0.1', port: n.p2pPort, name: n.name })));
  assert.deepEqual(config.tls, { cert: at('node5', 'cert.pem'), chain: [at('op3', 'ca.pem')], key: at('node5', 'key.pem') });
  // The root and the gov genesis are copies next to the config, not the network's files.
  assert.equal(config.network.rootCert, at('node5', 'root.pem'));
  assert.equal(readFileSync(config.network.rootCert, 'utf8'), readFileSync(path.join(net, 'pki', 'root', 'ca.pem'), 'utf8'));
  assert.deepEqual(config.chains, [{ genesis: at('node5', 'gov.genesis.json') }]);
  assert.equal(readFileSync(config.chains[0]!.genesis, 'utf8'), readFileSync(path.join(net, 'gov.genesis.json'), 'utf8'));
  // The CRLs of the CAs that have one (op3 has none), named by relative path.
  assert.deepEqual(config.network.crls, ['root', 'op1', 'op2'].map((ca) => path.join(net, 'pki', ca, 'crl.pem')));
  const raw = JSON.parse(readFileSync(at('node5', 'node.json'), 'utf8')) as { network: { crls: string[] }; http: { tokenFile: string } };
  assert.ok(raw.network.crls.every((f) => !path.isAbsolute(f) && f.startsWith('../net/')), raw.network.crls.join());
  // Its own operations token, 0600, not the network's.
  const token = readFileSync(config.http.tokenFile!, 'utf8').trim();
  assert.equal(raw.http.tokenFile, 'ops-token.txt');
  assert.equal(statSync(config.http.tokenFile!).mode & 0o777, 0o600);
  assert.ok(token.length >= 16);
  assert.notEqual(token, readOpsToken(net));
  // A second init does not replace it unless forced.
  const again = await bsn(work, 'node', 'init', '--network', 'net', '--cert', 'node5/cert.pem', '--key', 'node5/key.pem', '--chain', 'op3/ca.pem', '--base-port', '27040', '--out', 'node5/node.json');
  assert.ok(oneLineError(again, 'NODE_INIT_INPUT'), again.stderr);
  assert.equal(readFileSync(config.http.tokenFile!, 'utf8').trim(), token);
});

test('node init --root/--gov-genesis/--peer: a network that is not a local directory', async () => {
  await setup;
  const result = initJoiningNode(node5('flags', {
    network: undefined,
    root: path.join(net, 'pki', 'root', 'ca.pem'),
    govGenesis: path.join(net, 'gov.genesis.json'),
    peers: ['10.0.0.1:27000', 'node1.example.org:27010'],
    crls: [path.join(net, 'pki', 'root', 'crl.pem')],
    host: '0.0.0.0',
    name: 'node5',
  }));
  const config = loadNodeConfig(result.config);
  assert.deepEqual(config.p2p.peers, [{ host: '10.0.0.1', port: 27_000 }, { host: 'node1.example.org', port: 27_010 }]);
  assert.deepEqual(config.network.crls, [path.join(net, 'pki', 'root', 'crl.pem')]);
  assert.equal(config.p2p.listen, '0.0.0.0:27040');
  assert.equal(config.gateway?.listen, '0.0.0.0:27042');
  // The operations endpoint stays on loopback whatever --host says.
  assert.equal(config.http.listen, '127.0.0.1:27041');
  assert.deepEqual(config.chains.map((c) => path.basename(c.genesis)), ['gov.genesis.json']);
});

test('node init refuses each bad input with its code and writes nothing', async (t) => {
  await setup;
  const other = await makeTestPki('ecdsa-p256', 'Other');
  t.after(() => other.cleanup());
  const foreign = await other.issue('node5');
  mkdirSync(at('foreign'));
  writeFileSync(at('foreign', 'cert.pem'), foreign.certPem);
  writeFileSync(at('foreign', 'key.pem'), foreign.keyPem);
  writeFileSync(at('foreign', 'op.pem'), other.operatorPem);
  writeFileSync(at('foreign', 'root.pem'), other.rootPem);
  writeFileSync(at('kv-genesis.json'), readFileSync(path.join(net, 'kv.genesis.json')));
  const flagsMode = { network: undefined, root: path.join(net, 'pki', 'root', 'ca.pem'), govGenesis: path.join(net, 'gov.genesis.json'), peers: ['127.0.0.1:27000'], crls: [path.join(net, 'pki', 'root', 'crl.pem')] };
  const cases: [string, Partial<NodeInitOptions>, string, RegExp][] = [
    ['the key of another certificate', { key: path.join(net, 'node1', 'tls', 'key.pem') }, 'NODE_INIT_KEY_MISMATCH', /is not the key of the certificate/],
    ['a chain through the wrong operator', { chain: [path.join(net, 'pki', 'op1', 'ca.pem')] }, 'NODE_INIT_CHAIN', /PKI_UNKNOWN_ROOT/],
    ['a certificate of another network', { cert: at('foreign', 'cert.pem'), key: at('foreign', 'key.pem'), chain: [at('foreign', 'op.pem')] }, 'NODE_INIT_CHAIN', /does not chain to the network's root/],
    ['a revoked certificate', { cert: at('node6', 'cert.pem'), key: at('node6', 'key.pem'), chain: [path.join(net, 'pki', 'op1', 'ca.pem')] }, 'NODE_INIT_CHAIN', /PKI_REVOKED/],
    ['an expired certificate', { cert: at('node7', 'cert.pem'), key: at('node7', 'key.pem') }, 'NODE_INIT_CHAIN', /PKI_EXPIRED/],
    ['an org certificate', { cert: path.join(net, 'identities', 'op1', 'cert.pem'), key: path.join(net, 'identities', 'op1', 'key.pem'), chain: [path.join(net, 'pki', 'op1', 'ca.pem')] }, 'NODE_INIT_NOT_NODE_CERT', /not a node certificate \(its role is org\)/],
    ['a CA certificate (with a node key)', { cert: at('op3', 'ca.pem'), key: at('node5', 'key.pem') }, 'NODE_INIT_KEY_MISMATCH', /is not the key/],
    ['an encrypted key', { cert: at('node8', 'cert.pem'), key: at('node8', 'key.pem') }, 'NODE_INIT_INPUT', /encrypted/],
    ['a missing certificate file', { cert: at('none.pem') }, 'NODE_INIT_INPUT', /cannot read node certificate/],
    ['a key that is not PEM', { key: at('kv-genesis.json') }, 'NODE_INIT_INPUT', /node key .* is not valid/],
    ['--name other than the CN', { name: 'node9' }, 'NODE_INIT_NAME', /--name 'node9' is not the certificate's CN 'node5'/],
    ['a name the network already has', { cert: path.join(net, 'node1', 'tls', 'cert.pem'), key: path.join(net, 'node1', 'tls', 'key.pem'), chain: [path.join(net, 'pki', 'op1', 'ca.pem')] }, 'NODE_INIT_NAME', /already has a node 'node1'/],
    ['ports of a node of the network', { basePort: 29_210 }, 'NODE_INIT_INPUT', /port 29210 is used/],
    ['ports past 65535', { basePort: 65_534 }, 'NODE_INIT_INPUT', /within 1\.\.65535/],
    ['no --chain', { chain: [] }, 'NODE_INIT_INPUT', /give --chain/],
    ['a directory that is not a network', { network: at('op3') }, 'NODE_INIT_INPUT', /is not a BSN local network/],
    ['--network and --root together', { root: path.join(net, 'pki', 'root', 'ca.pem') }, 'NODE_INIT_INPUT', /not both/],
    ['neither --network nor --root', { network: undefined }, 'NODE_INIT_INPUT', /give --network DIR, or all of/],
    ['--root without --peer', { ...flagsMode, peers: [] }, 'NODE_INIT_INPUT', /give --network DIR, or all of/],
    ['a bad --peer', { ...flagsMode, peers: ['127.0.0.1'] }, 'NODE_INIT_INPUT', /expected HOST:PORT/],
    ['--root without any CRL', { ...flagsMode, crls: [] }, 'NODE_INIT_INPUT', /give --crl/],
    ['a gov genesis of another root', { ...flagsMode, root: at('foreign', 'root.pem') }, 'NODE_INIT_GENESIS', /another root/],
    ['the genesis of an app chain', { ...flagsMode, govGenesis: at('kv-genesis.json') }, 'NODE_INIT_GENESIS', /not the governance chain's/],
    ['a CRL file that is not a CRL', { ...flagsMode, crls: [at('op3', 'ca.pem')] }, 'NODE_INIT_INPUT', /CRL .* is not valid/],
  ];
  for (const [what, extra, code, message] of cases) {
    const out = `bad-${code}-${cases.findIndex((c) => c[0] === what)}`;
    assert.throws(() => initJoiningNode(node5(out, extra)), (err: Error & { code?: string }) => {
      assert.equal(err.code, code, `${what}: ${err.message}`);
      assert.match(err.message, message, what);
      return true;
    });
    assert.equal(existsSync(at(out)), false, `${what}: nothing written`);
  }
  // Through the CLI: one line naming the code, exit 1, nothing written.
  const before = listFiles(work);
  const cli = await bsn(work, 'node', 'init', '--network', 'net', '--cert', 'node5/cert.pem', '--key', 'net/node1/tls/key.pem', '--chain', 'op3/ca.pem', '--base-port', '27050', '--out', 'bad/node.json');
  assert.equal(cli.code, 1);
  assert.ok(oneLineError(cli, 'NODE_INIT_KEY_MISMATCH'), cli.stderr);
  assert.deepEqual(listFiles(work), before);
  const usage = await bsn(work, 'node', 'init', '--network', 'net', '--cert', 'node5/cert.pem', '--key', 'node5/key.pem', '--base-port', '27050', '--out', 'bad/node.json');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--chain/);
});
