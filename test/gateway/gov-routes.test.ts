import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { proposePayload, signGovTx, votePayload } from '../../src/execution/gov/tx.js';
import type { NodeRecord, OperatorRecord, OrgRecord, ProposalRecord, RevocationRecord } from '../../src/execution/gov/types.js';
import { startGateway } from '../../src/gateway/index.js';
import { parseCertificatePem } from '../../src/pki/index.js';
import { GovClient, GovRequestError, GovUnreachableError } from '../../src/sdk/gov-client.js';
import { startGovNode, type GovIdentity } from '../support/gov-node.js';
import { startSingleNode } from '../support/single-node.js';

/**
 * The gateway's /gov routes against real in-process nodes: one that does not host `gov` (every
 * route answers 404 GOV_NOT_HOSTED), and one that hosts it as its only validator: public reads
 * of the registry, nonces, signed proposals committed with ?wait=commit, and the gov reasons of
 * refused txs.
 */

interface Reply {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string; reason?: string } };
}

async function call(base: string, method: string, route: string, body?: unknown): Promise<Reply> {
  const response = await fetch(base + route, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  return { status: response.status, json: (await response.json()) as Reply['json'] };
}

const FP = 'AB:'.repeat(31) + 'AB';

test('a node that does not host gov answers 404 GOV_NOT_HOSTED on every /gov route, and documents them', { timeout: 60_000 }, async (t) => {
  const { node, stop } = await startSingleNode(['kv']);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: {} });
  t.after(() => gateway.close());
  const base = `http://${gateway.address}`;
  for (const [method, route, body] of [
    ['GET', '/gov/registry'],
    ['GET', '/gov/nodes'],
    ['GET', '/gov/validators'],
    ['GET', `/gov/proposals/${'ab'.repeat(32)}`],
    ['GET', `/gov/nonce/${FP}`],
    ['POST', '/gov/txs?wait=commit', { tx: '0x00' }],
    // Validation comes after: a malformed request still learns only that gov is not here.
    ['POST', '/gov/txs', { nonsense: true }],
  ] as const) {
    const reply = await call(base, method, route, body);
    assert.equal(reply.status, 404, `${method} ${route}: ${JSON.stringify(reply.json)}`);
    assert.equal(reply.json.error?.code, 'GOV_NOT_HOSTED');
  }
  const unknown = await call(base, 'GET', '/gov/frobs');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error?.code, 'REST_ROUTE_NOT_FOUND');

  const doc = (await call(base, 'GET', '/docs/json')).json as { paths: Record<string, Record<string, { tags?: string[] }>> };
  for (const p of ['/gov/registry', '/gov/operators', '/gov/nodes', '/gov/orgs', '/gov/rules', '/gov/proposals', '/gov/revocations', '/gov/plans', '/gov/apps', '/gov/validators', '/gov/proposals/{id}', '/gov/nonce/{fingerprint}']) {
    assert.deepEqual(doc.paths[p]?.get?.tags, ['governance'], p);
  }
  assert.ok(doc.paths['/gov/txs']?.post, 'POST /gov/txs');

  await assert.rejects(GovClient.connect([base, 'http://127.0.0.1:9']), (err: unknown) => err instanceof GovUnreachableError && /GOV_NOT_HOSTED/.test(err.message) && /127\.0\.0\.1:9/.test(err.message));
});

function sign(who: GovIdentity, nonce: number, kind: 'propose' | 'vote', payload: Parameters<typeof signGovTx>[0]['payload']): string {
  return `0x${Buffer.from(signGovTx({ chainId: 'gov', nonce, kind, payload, certPem: who.certPem, privateKey: who.privateKey })).toString('hex')}`;
}

test('the /gov routes of a node that hosts gov: reads, nonces, proposals committed, refusals with their gov reason', { timeout: 120_000 }, async (t) => {
  const gov = await startGovNode();
  t.after(() => gov.stop());
  const base = gov.url;
  const client = new GovClient(base);

  await t.test('the registry and its lists are public reads', async () => {
    const registry = await call(base, 'GET', '/gov/registry');
    assert.equal(registry.status, 200, JSON.stringify(registry.json));
    assert.equal((registry.json as { authority: { name: string } }).authority.name, 'authority');
    const nodes = (await client.list('nodes')) as NodeRecord[];
    assert.deepEqual(nodes.map((n) => [n.name, n.operator, n.status, n.region]), [['node1', 'op1', 'active', 'Beijing']]);
    const operators = (await client.list('operators')) as OperatorRecord[];
    assert.deepEqual(operators.map((o) => [o.name, o.status]), [['op1', 'active']]);
    const validators = (await client.list('validators')) as { name: string; power: number }[];
    assert.deepEqual(validators.map((v) => [v.name, v.power]), [['node1', 1]]);
    assert.ok((await client.list('rules')).length > 0);
    const height = (await fetch(`${base}/gov/nodes`)).headers.get('x-bsn-height');
    assert.match(height ?? '', /^\d+$/);
  });

  await t.test('nonces count per certificate fingerprint, in either case and with or without colons', async () => {
    const fp = gov.admin.cert.fingerprint;
    const reply = await call(base, 'GET', `/gov/nonce/${fp.replace(/:/g, '').toLowerCase()}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    assert.deepEqual([reply.json['fingerprint'], reply.json['nonce']], [fp, 0]);
    const bad = await call(base, 'GET', '/gov/nonce/not-a-fingerprint');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error?.code, 'REST_BAD_REQUEST');
  });

  const orgPem = (await gov.pki.issue('acme', 'org')).certPem;
  let proposalId = '';

  await t.test('a proposal its proposer alone decides commits with ?wait=commit and answers the executed proposal', async () => {
    const args = { cert: orgPem, name: 'acme', roles: ['developer'], trustCode: '91350100M000100Y43' };
    const tx = sign(gov.admin, 0, 'propose', proposePayload('register-org', args, Date.now() + 3_600_000));
    const reply = await call(base, 'POST', '/gov/txs?wait=commit', { tx });
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    const { hash, height, code, proposal } = reply.json as { hash: string; height: number; code: string; proposal: ProposalRecord };
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    assert.ok(height >= 1);
    assert.equal(code, 'OK');
    assert.equal(proposal.id, hash.slice(2));
    assert.equal(proposal.status, 'executed');
    proposalId = proposal.id;
    const orgs = (await client.list('orgs')) as OrgRecord[];
    assert.deepEqual(orgs.map((o) => [o.name, o.status, o.trustCode]), [['acme', 'active', '91350100M000100Y43']]);
    assert.equal((await client.proposal(`0x${proposalId.toUpperCase()}`)).id, proposalId);
    assert.equal(await client.nonce(gov.admin.cert.fingerprint), 1);
  });

  await t.test('refusals carry the mempool code and the gov reason, and change nothing', async () => {
    const unknown = await call(base, 'GET', `/gov/proposals/${'cd'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error?.code, 'GOV_PROPOSAL_NOT_FOUND');
    const garbage = await call(base, 'POST', '/gov/txs', { tx: '0x0102' });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json.error?.code, 'MEMPOOL_MALFORMED');
    // The authority is not a voter on an org's registration (its issuing operator is).
    const nonce = await client.nonce(gov.authority.cert.fingerprint);
    const notVoter = await client.submit(Buffer.from(sign(gov.authority, nonce, 'vote', votePayload(proposalId, true)).slice(2), 'hex')).catch((e: unknown) => e);
    assert.ok(notVoter instanceof GovRequestError, String(notVoter));
    assert.ok(notVoter.status >= 400 && notVoter.status < 500);
    assert.match(notVoter.reason ?? '', /^GOV_(NOT_VOTER|PROPOSAL_CLOSED)$/);
    assert.equal(await client.nonce(gov.authority.cert.fingerprint), nonce);
    const badBody = await call(base, 'POST', '/gov/txs', { tx: 'zz' });
    assert.equal(badBody.status, 400);
    assert.equal(badBody.json.error?.code, 'REST_BAD_REQUEST');
  });

  await t.test('a revocation shows in /gov/revocations with issuer and serial', async () => {
    const victim = await gov.pki.issue('victim', 'org');
    const nonce = await client.nonce(gov.admin.cert.fingerprint);
    const result = await client.submit(Buffer.from(sign(gov.admin, nonce, 'propose', proposePayload('revoke', { cert: victim.certPem, reason: 'keyCompromise' }, Date.now() + 3_600_000)).slice(2), 'hex'));
    assert.equal(result.proposal?.status, 'executed', JSON.stringify(result.proposal));
    const revocations = (await client.list('revocations')) as RevocationRecord[];
    const cert = parseCertificatePem(victim.certPem);
    const found = revocations.find((r) => r.fingerprint === cert.fingerprint);
    assert.deepEqual(found && [found.serial, found.reason, found.issuerFingerprint], [cert.serial, 'keyCompromise', parseCertificatePem(gov.pki.operatorPem).fingerprint]);
  });

  await t.test('arbitrary bytes and near-miss txs are refused with a 4xx and a code, never a 5xx', async () => {
    const valid = Buffer.from(sign(gov.admin, 0, 'propose', proposePayload('suspend-org', { name: 'acme' }, Date.now() + 3_600_000)).slice(2), 'hex');
    const flipped = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const copy = Buffer.from(valid);
      copy[i] = copy[i]! ^ x;
      return copy;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), flipped), async (bytes) => {
        const reply = await call(base, 'POST', '/gov/txs', { tx: `0x${Buffer.from(bytes).toString('hex')}` });
        assert.ok(reply.status >= 400 && reply.status < 500, `${reply.status} ${JSON.stringify(reply.json)}`);
        assert.match(reply.json.error?.code ?? '', /^[A-Z][A-Z0-9_]+$/);
      }),
      { numRuns: 60 },
    );
  });

  await t.test('without ?wait=commit the answer is 202 with the hash', async () => {
    const nonce = await client.nonce(gov.admin.cert.fingerprint);
    const later = await call(base, 'POST', '/gov/txs', { tx: sign(gov.admin, nonce, 'propose', proposePayload('suspend-org', { name: 'acme' }, Date.now() + 3_600_000)) });
    assert.equal(later.status, 202, JSON.stringify(later.json));
    assert.match(String(later.json['hash']), /^0x[0-9a-f]{64}$/);
  });
});
