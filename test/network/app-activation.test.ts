import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ecdsaP256 } from '../../src/crypto/index.js';
import { buildKvTx, govProposalId, proposePayload, signGovTx, votePayload } from '../../src/execution/index.js';
import { Governor } from '../../src/network/governor.js';
import { readPrivateKeyPem } from '../../src/pki/index.js';
import { startGovNode, type GovIdentity } from '../support/gov-node.js';

/*
 * Apps placed by governance start on their nodes live: a developer org's create-app, once its
 * node's operator approves, makes the node host the app chain from the genesis its record fixes
 * (nothing in a config file); the chain commits; retire-app stops it. One in-process node.
 */

const waitFor = async (cond: () => boolean, ms: number, what: string): Promise<number> => {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
};

test('create-app placed on this node starts its chain live within seconds of the deciding vote; it commits; retire-app stops it', { timeout: 60_000 }, async (t) => {
  const gov = await startGovNode();
  t.after(() => gov.stop());
  const { node } = gov;
  const governor = Governor.attach(node, [], pino({ level: 'silent' }))!;
  t.after(() => governor.stop());
  assert.ok(governor, 'the node hosts gov');

  const nonces = new Map<string, number>();
  const send = async (who: { certPem: string; keyPem: string }, kind: 'propose' | 'vote', payload: Parameters<typeof signGovTx>[0]['payload']): Promise<string> => {
    const nonce = nonces.get(who.certPem) ?? 0;
    nonces.set(who.certPem, nonce + 1);
    const tx = signGovTx({ chainId: 'gov', nonce, kind, payload, certPem: who.certPem, privateKey: readPrivateKeyPem(who.keyPem) });
    const committed = node.commitWaiter('gov', tx, 20_000);
    await node.submit('gov', tx);
    await committed;
    return govProposalId(ecdsaP256, tx);
  };
  const expires = () => Date.now() + 3_600_000;
  const admin: GovIdentity = gov.admin;
  const acme = await gov.pki.issue('acme', 'org');

  await send(gov.authority, 'propose', proposePayload('set-plan', { plan: { name: 'basic', requestsPerSecond: 10, txPerDay: 10_000, storageMiB: 100, pricePerNodeMonth: 10_000, currency: 'CNY' } }, expires()));
  // acme becomes a developer org (its operator registers it), then proposes an app on node1.
  await send(admin, 'propose', proposePayload('register-org', { cert: acme.certPem, name: 'acme', roles: ['developer'], trustCode: '91350100M000100Y43' }, expires()));
  const create = await send(acme, 'propose', proposePayload('create-app', { id: 'ledger', framework: 'kv', placement: ['node1'] }, expires()));
  assert.equal(node.chains.has('ledger'), false, 'not before its operator approves');
  await send(admin, 'vote', votePayload(create, true));
  const ms = await waitFor(() => node.chains.has('ledger'), 10_000, 'the ledger chain to start');
  t.diagnostic(`deciding vote committed → app chain hosted: ${ms} ms`);
  assert.equal(node.status().chains.find((c) => c.chainId === 'ledger')?.validator, true);

  // The app chain commits (node1 is its one validator).
  const user = ecdsaP256.generateKeyPair();
  const tx = buildKvTx({ chainId: 'ledger', privateKey: user.privateKey, nonce: 0, ops: [{ type: 'put', key: new TextEncoder().encode('k'), value: new TextEncoder().encode('v') }] });
  const started = Date.now();
  const height = node.commitWaiter('ledger', tx, 20_000);
  await node.submit('ledger', tx);
  assert.equal(await height, 1);
  t.diagnostic(`first block of the app committed ${Date.now() - started} ms after its tx was submitted`);

  // An EVM app: its JSON-RPC appears on the gateway once hosted (a request before is a 404 the
  // gateway must not remember), with the chain id its record fixes.
  const rpc = async (app: string) => fetch(`${gov.url}/apps/${app}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
  assert.equal((await rpc('coins')).status, 404);
  const coins = await send(acme, 'propose', proposePayload('create-app', { id: 'coins', framework: 'evm', placement: ['node1'] }, expires()));
  await send(admin, 'vote', votePayload(coins, true));
  await waitFor(() => node.chains.has('coins'), 10_000, 'the coins chain to start');
  const record = (gov.node.chains.get('gov')!.app as unknown as { registry(): { apps: { id: string; evmChainId?: number }[] } }).registry().apps.find((a) => a.id === 'coins')!;
  const answer = (await (await rpc('coins')).json()) as { result: string };
  assert.equal(Number(answer.result), record.evmChainId);

  // Retired by the operators: the node stops hosting it.
  const retire = await send(admin, 'propose', proposePayload('retire-app', { app: 'ledger' }, expires()));
  assert.ok(retire);
  await waitFor(() => !node.chains.has('ledger'), 10_000, 'the ledger chain to stop');
  await assert.rejects(node.submit('ledger', tx), /does not host chain 'ledger'/);
});
