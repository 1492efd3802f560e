import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeRecord } from '../../src/execution/gov/types.js';
import { GovClient, GovUnreachableError } from '../../src/sdk/gov-client.js';
import { connectGov } from '../../src/cli/gov/connect.js';
import { readRegistry, type RegistryStatus } from '../../src/cli/status.js';
import { startGovNode } from '../support/gov-node.js';
import { makeTestPki } from '../support/network-pki.js';

/*
 * `bsn gov` and `bsn status` against HTTPS gateways (`bsn up --gateway-tls`): the gateway's
 * certificate (issued by op1, served with op1's CA) must chain to the network root the client
 * is given; a gateway whose certificate chains elsewhere, or a client given no root, is refused.
 */

const refusedForItsCertificate = (err: unknown): boolean =>
  err instanceof GovUnreachableError && /certificate|self[- ]signed|unable to verify/i.test(err.message);

test('GovClient over HTTPS checks the gateway certificate against the root and refuses one that does not chain to it', { timeout: 120_000 }, async (t) => {
  const gov = await startGovNode({}, { gatewayTls: true });
  t.after(() => gov.stop());
  const other = await makeTestPki('ecdsa-p256', 'Other');
  t.after(() => other.cleanup());
  assert.match(gov.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const trusted = new GovClient(gov.url, { ca: gov.pki.rootPem });
  const registry = await trusted.registry();
  assert.equal(registry.rootCertPem.trim(), gov.pki.rootPem.trim());
  assert.deepEqual(((await trusted.list('nodes')) as NodeRecord[]).map((n) => n.name), ['node1']);
  const { height, validators } = await trusted.validatorsAt();
  assert.ok(height >= 0);
  assert.deepEqual(validators.map((v) => v.name), ['node1']);

  // Another network's root, or none (the system's CAs): the TLS handshake fails, nothing is read.
  await assert.rejects(new GovClient(gov.url, { ca: other.rootPem }).registry(), refusedForItsCertificate);
  await assert.rejects(new GovClient(gov.url).registry(), refusedForItsCertificate);
  await assert.rejects(GovClient.connect([gov.url], { ca: other.rootPem }), (err: unknown) => err instanceof GovUnreachableError && err.code === 'SDK_GOV_UNREACHABLE' && /certificate/i.test(err.message));

  // A `bsn up --gateway-tls` layout: `bsn gov` and `bsn status` trust DIR/pki/root/ca.pem.
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-gov-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const net = (name: string, rootPem: string) => {
    const at = path.join(dir, name);
    mkdirSync(path.join(at, 'pki', 'root'), { recursive: true });
    writeFileSync(path.join(at, 'pki', 'root', 'ca.pem'), rootPem);
    const port = Number(gov.gateway.address.split(':').pop());
    const layout = { version: 1 as const, dir: at, chainId: 'kv', rootFingerprint: '', gatewayTls: true, govChainId: 'gov', nodes: [{ name: 'node1', operator: 'op1', p2pPort: 1, httpPort: 1, gatewayPort: port, config: 'node.json', log: 'node.log' }] };
    writeFileSync(path.join(at, 'devnet.json'), JSON.stringify(layout));
    return layout;
  };
  const good = net('good', gov.pki.rootPem);
  assert.equal((await connectGov({ dir: good.dir })).baseUrl, gov.url);
  const report = await readRegistry(good, []);
  assert.ok(!('error' in report), JSON.stringify(report));
  assert.deepEqual((report as RegistryStatus).nodes.map((n) => [n.name, n.validator]), [['node1', true]]);
  assert.equal((report as RegistryStatus).via, gov.url);

  const wrong = net('wrong', other.rootPem);
  await assert.rejects(connectGov({ dir: wrong.dir }), (err: unknown) => err instanceof GovUnreachableError && /certificate/i.test(err.message));
  const refused = await readRegistry(wrong, []);
  assert.ok('error' in refused && /no gateway answers for the governance chain/.test(refused.error) && /certificate/i.test(refused.error), JSON.stringify(refused));
});
