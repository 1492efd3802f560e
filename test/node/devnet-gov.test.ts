import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { genesisState } from '../../src/execution/gov/genesis.js';
import type { GovGenesisState } from '../../src/execution/gov/types.js';
import { genesisFile, initDevnet, loadLayout } from '../../src/network/devnet.js';
import { genesisSchema, loadNodeConfig, parseGenesis } from '../../src/node/index.js';
import { parseCertificatePem, readPrivateKeyPem, validateChain } from '../../src/pki/index.js';

/** The files `bsn up` writes for the governance chain, without starting any process. */

interface GovGenesisJson {
  chainId: string;
  suite: string;
  app: string;
  time: number;
  validators: { name: string; publicKey: string; power: number }[];
  appState: GovGenesisState;
}

const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bsn-devnet-gov-')), 'net');
const made = initDevnet(dir, 29_100, () => undefined);
const read = (...parts: string[]) => readFileSync(path.join(dir, ...parts), 'utf8');
const gov = async () => {
  await made;
  return JSON.parse(read('gov.genesis.json')) as GovGenesisJson;
};

test.after(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

test('the gov genesis: chain gov of app gov, its validators are exactly the four nodes', async () => {
  const layout = await made;
  const genesis = await gov();
  assert.equal(genesisFile(dir, 'gov'), path.join(dir, 'gov.genesis.json'));
  assert.equal(genesis.chainId, 'gov');
  assert.equal(genesis.app, 'gov');
  assert.equal(genesis.suite, 'ecdsa-p256');
  assert.ok(Math.abs(genesis.time - Date.now()) < 60_000);
  const expected = layout.nodes.map((n) => ({ name: n.name, publicKey: Buffer.from(parseCertificatePem(read(n.name, 'tls', 'cert.pem')).publicKey.bytes).toString('hex'), power: 1 }));
  assert.deepEqual(genesis.validators, expected);
  // The same set as the app chains: one validator key per node, whatever the chain.
  assert.deepEqual(genesis.validators, (JSON.parse(read('kv.genesis.json')) as GovGenesisJson).validators);
  // The registry's active nodes are the validators, node by node, with their power.
  assert.deepEqual(
    genesis.appState.nodes.map((n) => Buffer.from(parseCertificatePem(n.certPem).publicKey.bytes).toString('hex')),
    expected.map((v) => v.publicKey),
  );
  assert.deepEqual(genesis.appState.nodes.map((n) => n.power ?? 1), [1, 1, 1, 1]);
  // Once the node layer knows app 'gov' (src/node/genesis.ts), the file must parse as a genesis.
  if ((genesisSchema.shape.app.options as readonly string[]).includes('gov')) {
    const parsed = parseGenesis(read('gov.genesis.json'), 'gov.genesis.json');
    assert.equal(parsed.validators.validators.length, 4);
  }
});

test('the gov genesis registry: root, authority, operators with their CA and admin, nodes with region and endpoints, plans', async () => {
  const layout = await made;
  const { appState } = await gov();
  assert.equal(appState.version, 1);
  assert.equal(appState.rootCertPem, read('pki', 'root', 'ca.pem'));
  assert.deepEqual(appState.authority, { name: 'authority', certPem: read('identities', 'authority', 'cert.pem') });
  assert.deepEqual(appState.operators, ['op1', 'op2'].map((op) => ({ name: op, caCertPem: read('pki', op, 'ca.pem'), adminCertPems: [read('identities', op, 'cert.pem')] })));
  assert.deepEqual(
    appState.nodes.map((n) => ({ operator: n.operator, region: n.region, p2p: n.p2p, gateway: n.gateway })),
    layout.nodes.map((n, i) => ({ operator: i < 2 ? 'op1' : 'op2', region: i < 2 ? 'Beijing' : 'Shanghai', p2p: `127.0.0.1:${n.p2pPort}`, gateway: `http://127.0.0.1:${n.gatewayPort}` })),
  );
  for (const [i, n] of appState.nodes.entries()) {
    assert.equal(n.certPem, read(`node${i + 1}`, 'tls', 'cert.pem'));
    assert.equal(typeof n.city, 'string');
  }
  assert.deepEqual(appState.plans?.map((p) => p.name), ['basic', 'standard']);
  for (const plan of appState.plans ?? []) assert.ok(plan.pricePerNodeMonth > 0 && plan.requestsPerSecond > 0 && plan.currency === 'CNY', plan.name);
  // The development org, a developer registered at genesis (bsn app create … --as dev).
  assert.deepEqual(appState.orgs, [{ certPem: read('identities', 'dev', 'cert.pem'), name: 'dev', roles: ['developer', 'member'], trustCode: '91350100M000100Y43' }]);
  // No rules in the file: the state machine's defaults (the ones the issue names) apply.
  assert.equal(appState.rules, undefined);
});

test('the gov state machine accepts the genesis: its registry has the authority, both operators with their admin, four active nodes; its validators are the genesis validators', async () => {
  const genesis = await gov();
  const state = genesisState('gov', genesis.appState, genesis.time);
  assert.deepEqual(state.validators(), genesis.validators);
  const registry = state.registry();
  assert.equal(registry.authority.name, 'authority');
  assert.equal(registry.authority.fingerprint, parseCertificatePem(read('identities', 'authority', 'cert.pem')).fingerprint);
  assert.deepEqual(registry.operators.map((o) => [o.name, o.status, o.admins]), ['op1', 'op2'].map((op) => [op, 'active', [parseCertificatePem(read('identities', op, 'cert.pem')).fingerprint]]));
  assert.deepEqual(registry.nodes.map((n) => [n.name, n.operator, n.region, n.status]), [['node1', 'op1', 'Beijing', 'active'], ['node2', 'op1', 'Beijing', 'active'], ['node3', 'op2', 'Shanghai', 'active'], ['node4', 'op2', 'Shanghai', 'active']]);
  // Four validators tolerate one fault: gov keeps at least 3·1+1.
  assert.equal(registry.minValidators, 4);
  assert.deepEqual(registry.plans.map((p) => p.name), ['basic', 'standard']);
  assert.deepEqual(registry.orgs.map((o) => [o.name, o.operator, o.status, o.roles]), [['dev', 'op1', 'active', ['developer', 'member']]]);
});

test('identities: authority and dev (of op1), op1 and op2 are org certificates chaining to the root, keys 0600 in 0700 directories', async () => {
  await made;
  const root = parseCertificatePem(read('pki', 'root', 'ca.pem'));
  assert.equal(statSync(path.join(dir, 'identities')).mode & 0o777, 0o700);
  for (const [name, issuer] of [['authority', 'op1'], ['op1', 'op1'], ['op2', 'op2'], ['dev', 'op1']] as const) {
    const at = path.join(dir, 'identities', name);
    assert.equal(statSync(at).mode & 0o777, 0o700, `${name}: directory`);
    assert.equal(statSync(path.join(at, 'key.pem')).mode & 0o777, 0o600, `${name}: key`);
    const cert = parseCertificatePem(read('identities', name, 'cert.pem'));
    const key = readPrivateKeyPem(read('identities', name, 'key.pem'));
    assert.ok(Buffer.from(key.publicKey.bytes).equals(cert.publicKey.bytes), `${name}: the key is the certificate's`);
    const operatorCa = parseCertificatePem(read('pki', issuer, 'ca.pem'));
    const result = validateChain({ roots: [root], intermediates: [operatorCa], leaf: cert, purpose: 'client' });
    assert.equal(result.identity?.role, 'org', `${name}: an org certificate`);
    assert.equal(result.path[1]!.fingerprint, operatorCa.fingerprint, `${name}: issued by ${issuer}`);
    assert.match(cert.subjectText, new RegExp(`CN=${name}$`));
    // Not by the other operator: a chain through the wrong CA does not validate.
    const other = parseCertificatePem(read('pki', issuer === 'op1' ? 'op2' : 'op1', 'ca.pem'));
    assert.throws(() => validateChain({ roots: [root], intermediates: [other], leaf: cert }), { code: 'PKI_UNKNOWN_ROOT' });
  }
});

test('each node config hosts gov first, then demo and kv; the layout names gov and the identities', async () => {
  const layout = await made;
  assert.equal(layout.govChainId, 'gov');
  assert.deepEqual(layout.identities, ['authority', 'op1', 'op2', 'dev']);
  assert.deepEqual(loadLayout(dir), layout);
  for (const node of layout.nodes) {
    const config = loadNodeConfig(path.join(dir, node.name, 'node.json'));
    assert.deepEqual(config.chains.map((c) => path.basename(c.genesis)), ['gov.genesis.json', 'demo.genesis.json', 'kv.genesis.json'], node.name);
    assert.equal(config.chains[0]!.genesis, path.join(dir, 'gov.genesis.json'));
  }
  // initDevnet on an existing network changes nothing, gov genesis included.
  const before = read('gov.genesis.json');
  await initDevnet(dir, 29_100, () => undefined);
  assert.equal(read('gov.genesis.json'), before);
});
