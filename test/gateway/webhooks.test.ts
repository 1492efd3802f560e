import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { Wallet, parseEther } from 'ethers';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import type { CityNode } from '../../src/node/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { verifyWebhook } from '../../src/gateway/events/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf, type LeafKind } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
// Runtime code that emits LOG1 with topic = the first 32 bytes of calldata, and no data.
const EMITTER = '0x60003560006000a100';
const A = '0x000000000000000000000000000000000000aaaa';
const B = '0x000000000000000000000000000000000000bbbb';
const topic = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

type Caller = { certPem: string; keyPem: string };
interface Reply {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string } };
}
interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly key: string;
  readonly attempt: number;
  readonly json: { webhookId: string; appId: string; idempotencyKey: string; event: Record<string, unknown> };
  /** The status the receiver answered. */
  status: number;
}

async function issue(pki: TestPki, name: string, kind: LeafKind, app?: string): Promise<Caller> {
  const out = path.join(pki.dir, `caller-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind, name, ...(app && { app }), secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

/** A real HTTP server on a free loopback port that records deliveries and answers `respond`'s status (0: no answer). */
class Receiver {
  readonly deliveries: Delivery[] = [];
  respond: (d: Delivery) => number = () => 200;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const receiver = new Receiver(server, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const d: Delivery = { headers: req.headers, body, key: String(req.headers['x-bsn-idempotency-key']), attempt: Number(req.headers['x-bsn-delivery-attempt']), json: JSON.parse(body) as Delivery['json'], status: 0 };
        receiver.deliveries.push(d);
        d.status = receiver.respond(d);
        // 0: never answer (the gateway's timeout has to end the attempt).
        if (d.status !== 0) res.writeHead(d.status).end('ok');
      });
    });
    return receiver;
  }

  /** The first delivery (from index `from` on) that matches. */
  async waitFor(predicate: (d: Delivery) => boolean, from = 0, timeoutMs = 10_000): Promise<Delivery> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no such delivery; got ${this.deliveries.map((d) => `${d.key}#${d.attempt}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function commit(node: CityNode, appId: string, tx: Uint8Array): Promise<number> {
  const height = node.commitWaiter(appId, tx, 20_000);
  await node.submit(appId, tx);
  return height;
}

test('webhooks: admin only, signed deliveries, retries with one idempotency key, redelivery after a restart', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'kv', app: 'kv' },
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('10').toString() }, [A]: { code: EMITTER }, [B]: { code: EMITTER } } } },
  ]);
  t.after(stop);
  const options: GatewayOptions = { listen: '127.0.0.1:0', rest: {}, storeDir: path.join(pki.dir, 'gateway-store'), events: { webhooks: { retryBaseMs: 20, retryMaxMs: 100, maxAgeMs: 400, timeoutMs: 2000, persistEveryMs: 0, allowInternal: ['127.0.0.1'] } } };
  let gateway: Gateway = await startGateway(node, options);
  t.after(() => gateway.close());
  const receiver = await Receiver.start();
  t.after(() => receiver.close());
  const [kvAdmin, evmAdmin, alice, anyOrg] = await Promise.all([issue(pki, 'kv-admin', 'org', 'kv'), issue(pki, 'evm-admin', 'org', 'evm'), issue(pki, 'alice', 'user', 'kv'), issue(pki, 'org-any', 'org')]);

  const send = async (caller: Caller | undefined, method: string, reqPath: string, body?: unknown, raw?: string): Promise<Reply> => {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const appId = reqPath.split('/')[2]!;
    const headers = {
      ...(caller && signRequest({ gateway: gateway.id, method, path: reqPath, ...(text !== undefined && { body: text }), appId, certPem: caller.certPem, privateKey: caller.keyPem })),
      ...(text !== undefined && { 'content-type': 'application/json' }),
    };
    const response = await fetch(`http://${gateway.address}${reqPath}`, { method, headers, ...(text !== undefined && { body: text }) });
    return { status: response.status, json: response.status === 204 ? {} : ((await response.json()) as Reply['json']) };
  };
  const expectError = (reply: Reply, status: number, code: string) => {
    assert.equal(reply.status, status, JSON.stringify(reply.json));
    assert.equal(reply.json.error?.code, code, JSON.stringify(reply.json));
  };

  const kvKey = getSuite('ecdsa-p256').generateKeyPair().privateKey;
  let kvNonce = 0;
  const kvPut = () => commit(node, 'kv', buildKvTx({ chainId: 'kv', privateKey: kvKey, nonce: kvNonce++, ops: [{ type: 'put', key: Buffer.from(`k${kvNonce}`), value: Buffer.from('v') }] }));
  let evmNonce = 0;
  const emit = async (to: string, n: number) => commit(node, 'evm', Buffer.from((await funded.signTransaction({ type: 2, chainId: 4242, nonce: evmNonce++, to, data: topic(n), gasLimit: 100_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 })).slice(2), 'hex'));

  await t.test('only the app admin (org certificate bound to the app) manages webhooks', async () => {
    const body = { url: receiver.url, type: 'blocks' };
    expectError(await send(undefined, 'POST', '/apps/kv/webhooks', body), 401, 'AUTH_MISSING');
    expectError(await send(alice, 'POST', '/apps/kv/webhooks', body), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(alice, 'GET', '/apps/kv/webhooks'), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(anyOrg, 'POST', '/apps/kv/webhooks', body), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(evmAdmin, 'POST', '/apps/kv/webhooks', body), 403, 'AUTH_FORBIDDEN');
    expectError(await send(kvAdmin, 'GET', '/apps/nope/webhooks'), 404, 'APP_NOT_FOUND');
    expectError(await send(kvAdmin, 'GET', `/apps/kv/webhooks/wh_${'0'.repeat(24)}`), 404, 'WEBHOOK_NOT_FOUND');
  });

  await t.test('a block webhook gets each commit, HMAC-signed; its status; deleted, it stops', async () => {
    const created = await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: receiver.url, type: 'blocks' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = created.json['id'] as string;
    const secret = created.json['secret'] as string;
    assert.match(id, /^wh_[0-9a-f]{24}$/);
    const h = await kvPut();
    const d = await receiver.waitFor((x) => x.key === `${id}:${h}`);
    assert.equal(verifyWebhook({ secret, body: d.body, signature: d.headers['x-bsn-signature'] as string, timestamp: d.headers['x-bsn-timestamp'] as string }), true);
    assert.equal(verifyWebhook({ secret: 'whsec_other', body: d.body, signature: d.headers['x-bsn-signature'] as string, timestamp: d.headers['x-bsn-timestamp'] as string }), false);
    assert.equal(d.attempt, 1);
    assert.equal(d.headers['x-bsn-webhook-id'], id);
    assert.deepEqual({ ...d.json, event: undefined }, { webhookId: id, appId: 'kv', idempotencyKey: `${id}:${h}`, event: undefined });
    assert.equal(d.json.event['type'], 'block');
    assert.equal(d.json.event['height'], h);
    assert.equal(d.json.event['txCount'], 1);

    // The cursor moves past the height just after the acknowledgement is saved.
    let status = await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`);
    for (let i = 0; i < 50 && (status.json['status'] as { nextHeight: number }).nextHeight !== h + 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`);
    }
    assert.equal(status.status, 200, JSON.stringify(status.json));
    assert.equal(status.json['secret'], undefined, 'the secret is shown once');
    assert.deepEqual(status.json['status'], { state: 'active', nextHeight: h + 1, lastDeliveredHeight: h, lastDeliveredAt: (status.json['status'] as { lastDeliveredAt: number }).lastDeliveredAt, delivered: 1, failures: 0, totalFailures: 0, lastError: null, nextAttemptAt: null });
    const list = await send(kvAdmin, 'GET', '/apps/kv/webhooks');
    assert.deepEqual((list.json['webhooks'] as { id: string; secret?: string }[]).map((w) => [w.id, w.secret]), [[id, undefined]]);

    assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/webhooks/${id}`)).status, 204);
    expectError(await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`), 404, 'WEBHOOK_NOT_FOUND');
    const before = receiver.deliveries.filter((x) => x.json.webhookId === id).length;
    await kvPut();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.deliveries.filter((x) => x.json.webhookId === id).length, before, 'nothing after the delete');
  });

  await t.test('a receiver failing the first 3 attempts gets the event on a retry, same idempotency key', async (st) => {
    receiver.respond = (d) => (receiver.deliveries.filter((x) => x.key === d.key).length <= 3 ? 500 : 200);
    st.after(() => void (receiver.respond = () => 200));
    const created = await send(evmAdmin, 'POST', '/apps/evm/webhooks', { url: receiver.url, type: 'logs', filter: { address: A, topics: [topic(7)] } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { id, secret } = created.json as { id: string; secret: string };
    assert.deepEqual(created.json['filter'], { address: [A], topics: [[topic(7)]] }, 'the filter in normal form');
    await emit(B, 7);
    await emit(A, 8);
    const h = await emit(A, 7);
    const ok = await receiver.waitFor((x) => x.json.webhookId === id && x.attempt === 4);
    const attempts = receiver.deliveries.filter((x) => x.json.webhookId === id);
    assert.deepEqual(attempts.map((x) => x.attempt), [1, 2, 3, 4], 'one event, four attempts, nothing else matched the filter');
    assert.ok(attempts.every((x) => x.key === ok.key && x.key === `${id}:${h}:0`), attempts.map((x) => x.key).join());
    assert.ok(attempts.every((x) => verifyWebhook({ secret, body: x.body, signature: x.headers['x-bsn-signature'] as string, timestamp: x.headers['x-bsn-timestamp'] as string })));
    assert.deepEqual([ok.json.event['address'], (ok.json.event['topics'] as string[])[0]], [A, topic(7)]);
    await new Promise((r) => setTimeout(r, 100));
    const hook = (await send(evmAdmin, 'GET', `/apps/evm/webhooks/${id}`)).json;
    assert.deepEqual(hook['filter'], { address: [A], topics: [[topic(7)]] });
    const status = hook['status'] as Record<string, unknown>;
    assert.deepEqual([status['state'], status['delivered'], status['failures'], status['totalFailures'], status['lastError']], ['active', 1, 0, 3, null]);
    assert.equal(receiver.deliveries.filter((x) => x.json.webhookId === id).length, 4, 'acknowledged: not sent again');
  });

  await t.test('after a gateway restart the unacknowledged event is resent and the acknowledged one is not', async (st) => {
    st.after(() => void (receiver.respond = () => 200));
    const created = await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: receiver.url, type: 'blocks' });
    const id = created.json['id'] as string;
    const h1 = await kvPut();
    await receiver.waitFor((x) => x.key === `${id}:${h1}`);
    receiver.respond = (d) => (d.json.webhookId === id ? 503 : 200);
    const h2 = await kvPut();
    await receiver.waitFor((x) => x.key === `${id}:${h2}` && x.attempt >= 2);
    await gateway.close();
    const seen = receiver.deliveries.length;
    assert.equal(receiver.deliveries.filter((x) => x.key === `${id}:${h2}`).length >= 2, true);

    receiver.respond = () => 200;
    gateway = await startGateway(node, options);
    const resent = await receiver.waitFor((x) => x.key === `${id}:${h2}`, seen);
    // An attempt cut short by the stop is not counted, so the count goes on from the last failure.
    assert.ok(resent.attempt >= 2, 'the attempt count survives the restart');
    assert.equal(receiver.deliveries.filter((x) => x.key === `${id}:${h1}`).length, 1, 'the acknowledged event is not resent');
    const h3 = await kvPut();
    await receiver.waitFor((x) => x.key === `${id}:${h3}`);
    const status = (await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`)).json['status'] as Record<string, unknown>;
    assert.deepEqual([status['delivered'], status['lastDeliveredHeight'], status['state']], [3, h3, 'active']);
  });

  await t.test('past the max age a webhook is marked failing, keeps its events, and recovers', async (st) => {
    st.after(() => void (receiver.respond = () => 200));
    const created = await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: receiver.url, type: 'blocks' });
    const id = created.json['id'] as string;
    receiver.respond = (d) => (d.json.webhookId === id ? 500 : 200);
    const h = await kvPut();
    const statusOf = async () => (await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`)).json['status'] as { state: string; failures: number; lastError: string | null; nextAttemptAt: number | null; delivered: number; nextHeight: number };
    let status = await statusOf();
    for (let i = 0; i < 100 && status.state !== 'failing'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await statusOf();
    }
    assert.equal(status.state, 'failing');
    assert.ok(status.failures >= 2, JSON.stringify(status));
    assert.equal(status.lastError, 'HTTP 5xx');
    assert.equal(typeof status.nextAttemptAt, 'number');
    assert.equal(status.nextHeight, h);
    receiver.respond = () => 200;
    const ok = await receiver.waitFor((x) => x.key === `${id}:${h}` && x.status === 200);
    assert.ok(ok.attempt > status.failures);
    await new Promise((r) => setTimeout(r, 50));
    status = await statusOf();
    assert.deepEqual([status.state, status.delivered, status.failures, status.lastError], ['active', 1, 0, null]);
  });

  await t.test('an attempt without an answer times out and is retried', async (st) => {
    st.after(() => void (receiver.respond = () => 200));
    const created = await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: receiver.url, type: 'blocks' });
    const id = created.json['id'] as string;
    receiver.respond = (d) => (d.json.webhookId === id && d.attempt === 1 ? 0 : 200);
    const h = await kvPut();
    const ok = await receiver.waitFor((x) => x.key === `${id}:${h}` && x.status === 200);
    assert.equal(ok.attempt, 2);
    const status = (await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`)).json['status'] as Record<string, unknown>;
    assert.deepEqual([status['delivered'], status['totalFailures']], [1, 1]);
  });

  await t.test('internal addresses are refused unless allowed; lastError is coarse', async () => {
    for (const url of ['http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:169.254.169.254]/', 'http://[fd00::1]/', 'http://100.64.0.1/', 'http://[::1]:8080/', 'http://0.0.0.0/']) {
      expectError(await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url, type: 'blocks' }), 400, 'WEBHOOK_BAD_URL');
    }
    const statusOf = async (id: string) => (await send(kvAdmin, 'GET', `/apps/kv/webhooks/${id}`)).json['status'] as { lastError: string | null; delivered: number };
    const waitError = async (id: string) => {
      for (let i = 0; i < 200; i++) {
        const status = await statusOf(id);
        if (status.lastError !== null) return status;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`webhook ${id} never failed: ${JSON.stringify(await statusOf(id))}`);
    };
    // Allowed by address, a name that resolves there is allowed too (test/gateway/webhook-ssrf.test.ts has the refusals after resolution).
    const byName = (await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: receiver.url.replace('127.0.0.1', 'localhost'), type: 'blocks' })).json['id'] as string;
    // A closed port and a name that does not resolve fail alike: no ECONNREFUSED/ENOTFOUND oracle.
    const closed = (await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: 'http://127.0.0.1:1/hook', type: 'blocks' })).json['id'] as string;
    const nowhere = (await send(kvAdmin, 'POST', '/apps/kv/webhooks', { url: 'http://no-such-host.invalid/hook', type: 'blocks' })).json['id'] as string;
    await kvPut();
    assert.equal((await waitError(closed)).lastError, 'connection failed');
    assert.equal((await waitError(nowhere)).lastError, 'connection failed');
    await receiver.waitFor((d) => d.json.webhookId === byName && d.status === 200);
    for (const id of [byName, closed, nowhere]) assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/webhooks/${id}`)).status, 204);
  });

  await t.test('bad webhook bodies get typed errors, generated ones too', async () => {
    const post = (body: unknown, raw?: string) => send(kvAdmin, 'POST', '/apps/kv/webhooks', body, raw);
    expectError(await post({ url: 'ftp://example.com/x', type: 'blocks' }), 400, 'WEBHOOK_BAD_URL');
    expectError(await post({ url: 'http://user:pw@example.com/', type: 'blocks' }), 400, 'WEBHOOK_BAD_URL');
    expectError(await post({ url: receiver.url, type: 'logs' }), 400, 'EVENTS_WRONG_APP_KIND');
    expectError(await post({ url: receiver.url, type: 'blocks', filter: {} }), 400, 'EVENTS_BAD_FILTER');
    expectError(await post({ url: receiver.url, type: 'blocks', fromHeight: 1e9 }), 400, 'EVENTS_BAD_HEIGHT');
    expectError(await post({ url: receiver.url, type: 'txs' }), 400, 'REST_BAD_REQUEST');
    expectError(await post({ url: receiver.url, type: 'blocks', secret: 'mine' }), 400, 'REST_BAD_REQUEST');
    expectError(await post(undefined, '{"url":'), 400, 'REST_BAD_JSON');
    expectError(await post({ url: `https://example.com/${'a'.repeat(70 * 1024)}`, type: 'blocks' }), 413, 'REST_BODY_TOO_LARGE');
    expectError(await send(evmAdmin, 'POST', '/apps/evm/webhooks', { url: receiver.url, type: 'logs', filter: { address: '0x12' } }), 400, 'EVENTS_BAD_FILTER');
    const bodies = fc.sample(fc.oneof(fc.jsonValue(), fc.record({ url: fc.oneof(fc.webUrl(), fc.string(), fc.jsonValue()), type: fc.oneof(fc.constantFrom('blocks', 'logs'), fc.jsonValue()), filter: fc.jsonValue(), fromHeight: fc.oneof(fc.integer(), fc.jsonValue()) }, { requiredKeys: [] })), 40);
    for (const body of bodies) {
      const reply = await post(undefined, JSON.stringify(body) ?? 'null');
      if (reply.status === 201) {
        assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/webhooks/${reply.json['id'] as string}`)).status, 204);
        continue;
      }
      assert.equal(reply.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(reply.json)}`);
      assert.match(reply.json.error?.code ?? '', /^(REST_BAD_REQUEST|REST_BAD_JSON|EVENTS_[A-Z_]+|WEBHOOK_[A-Z_]+)$/);
    }
    const list = await send(kvAdmin, 'GET', '/apps/kv/webhooks');
    assert.equal(list.status, 200, 'the gateway still answers');
  });

  await t.test('the OpenAPI document has the event routes, signed', async () => {
    const doc = (await (await fetch(`http://${gateway.address}/docs/json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[]; tags?: string[] }>> };
    for (const [p, m] of [
      ['/apps/{appId}/events', 'get'],
      ['/apps/{appId}/webhooks', 'post'],
      ['/apps/{appId}/webhooks', 'get'],
      ['/apps/{appId}/webhooks/{id}', 'get'],
      ['/apps/{appId}/webhooks/{id}', 'delete'],
    ] as const) {
      assert.deepEqual(doc.paths[p]?.[m]?.security, [{ bsnSignature: [] }], `${m} ${p}`);
      assert.deepEqual(doc.paths[p]![m]!.tags, ['events']);
    }
  });
});
