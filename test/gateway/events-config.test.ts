import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startGateway } from '../../src/gateway/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import { startSingleNode } from '../support/single-node.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses

// `bsn node start` has no GatewayOptions to pass: the webhook allow-list must come from the config.
test('gateway.events in the node config: webhooks only to the allowed hosts', { timeout: 60_000 }, async (t) => {
  const { node, pki, stop } = await startSingleNode(['kv'], {
    gateway: { listen: '127.0.0.1:0', events: { webhooks: { allowedHosts: ['.hooks.example.com'], maxPerApp: 2 } } },
  });
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: {} });
  t.after(() => gateway.close());
  const out = path.join(pki.dir, 'kv-admin');
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'org', name: 'kv-admin', app: 'kv', secret: { passphrase: PASSPHRASE } });
  const admin = { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), privateKey: readFileSync(path.join(out, 'key.pem'), 'utf8') };
  const create = async (url: string) => {
    const body = Buffer.from(JSON.stringify({ url, type: 'blocks' }));
    const p = '/apps/kv/webhooks';
    const headers = signRequest({ gateway: gateway.id, method: 'POST', path: p, body, appId: 'kv', certPem: admin.certPem, privateKey: admin.privateKey });
    const res = await fetch(`http://${gateway.address}${p}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    return { status: res.status, json: (await res.json()) as { error?: { code: string }; id?: string } };
  };
  const refused = await create('http://127.0.0.1:9/hook');
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error?.code, 'WEBHOOK_BAD_URL');
  assert.equal((await create('https://a.hooks.example.com/hook')).status, 201);
  assert.equal((await create('https://b.hooks.example.com/hook')).status, 201);
  const third = await create('https://c.hooks.example.com/hook');
  assert.equal(third.json.error?.code, 'WEBHOOK_LIMIT_REACHED', JSON.stringify(third.json));
});

test('gateway.events in the node config is validated like the rest of it', async () => {
  await assert.rejects(startSingleNode(['kv'], { gateway: { listen: '127.0.0.1:0', events: { webhooks: { allowedHost: ['x'] } } } }), { code: 'NODE_CONFIG_INVALID' });
});
