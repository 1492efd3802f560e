import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { Wallet, parseEther } from 'ethers';
import { decodeBlock, headerHash } from '../../src/chain/index.js';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import type { CityNode } from '../../src/node/index.js';
import { startGateway } from '../../src/gateway/index.js';
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

/** The `ws` client (a dependency of @fastify/websocket; no type declarations in this project). */
interface WsClient {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  on(event: 'message', f: (data: Buffer) => void): void;
  on(event: 'open' | 'close', f: () => void): void;
  on(event: 'error', f: (err: Error) => void): void;
  on(event: 'unexpected-response', f: (req: unknown, res: { statusCode: number }) => void): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, options?: { headers?: Record<string, string> }) => WsClient;

type Caller = { certPem: string; keyPem: string };
type Message = Record<string, unknown> & { id?: string; op?: string; event?: Record<string, unknown>; error?: { code: string } };

async function issue(pki: TestPki, name: string, kind: LeafKind, app: string): Promise<Caller> {
  const out = path.join(pki.dir, `caller-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind, name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

/** A connected events socket whose messages queue up until taken with `next`. */
class Client {
  private readonly queue: Message[] = [];
  private waiter: (() => void) | undefined;
  private constructor(readonly ws: WsClient) {
    ws.on('message', (data) => {
      this.queue.push(JSON.parse(data.toString('utf8')) as Message);
      this.waiter?.();
    });
  }

  static async open(gateway: { readonly address: string; readonly id: string }, appId: string, caller: Caller | undefined): Promise<Client> {
    const base = gateway.address;
    const reqPath = `/apps/${appId}/events`;
    const headers = caller ? signRequest({ gateway: gateway.id, method: 'GET', path: reqPath, appId, certPem: caller.certPem, privateKey: caller.keyPem }) : {};
    const ws = new WebSocket(`ws://${base}${reqPath}`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.on('error', reject);
    });
    return new Client(ws);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async next(timeoutMs = 10_000): Promise<Message> {
    const until = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (Date.now() > until) throw new Error('no message within the timeout');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.queue.shift()!;
  }

  /** Nothing arrives within `ms`. */
  async quiet(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.queue, []);
  }
}

async function commit(node: CityNode, appId: string, tx: Uint8Array): Promise<number> {
  const height = node.commitWaiter(appId, tx, 20_000);
  await node.submit(appId, tx);
  return height;
}

test('WebSocket events: blocks and logs with filters and backfill, typed errors, authentication', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'kv', app: 'kv' },
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('10').toString() }, [A]: { code: EMITTER }, [B]: { code: EMITTER } } } },
  ]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: {}, events: { ws: { maxSubscriptions: 3, maxMessageBytes: 1024 } } });
  t.after(() => gateway.close());
  const alice = await issue(pki, 'alice', 'user', 'kv');
  const evan = await issue(pki, 'evan', 'user', 'evm');

  const kvKey = getSuite('ecdsa-p256').generateKeyPair().privateKey;
  let kvNonce = 0;
  const kvPut = (key: string) => commit(node, 'kv', buildKvTx({ chainId: 'kv', privateKey: kvKey, nonce: kvNonce++, ops: [{ type: 'put', key: Buffer.from(key), value: Buffer.from('v') }] }));
  let evmNonce = 0;
  const emit = async (to: string, n: number) => commit(node, 'evm', Buffer.from((await funded.signTransaction({ type: 2, chainId: 4242, nonce: evmNonce++, to, data: topic(n), gasLimit: 100_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 })).slice(2), 'hex'));

  await t.test('block events: backfill from fromHeight, then live, in order', async () => {
    const h1 = await kvPut('a');
    const h2 = await kvPut('b');
    const client = await Client.open(gateway, 'kv', alice);
    t.after(() => client.ws.close());
    client.send({ op: 'subscribe', id: 'heads', type: 'blocks', fromHeight: h1 });
    assert.deepEqual(await client.next(), { op: 'subscribed', id: 'heads', fromHeight: h1 });
    for (let h = h1; h <= h2; h++) {
      const m = await client.next();
      assert.equal(m.id, 'heads');
      const block = decodeBlock((await node.chains.get('kv')!.store.block(h))!);
      assert.deepEqual(m.event, { type: 'block', height: h, hash: `0x${Buffer.from(headerHash(getSuite('ecdsa-p256'), block.header)).toString('hex')}`, time: block.header.time, txCount: block.txs.length });
    }
    const h3 = await kvPut('c');
    const live = await client.next();
    assert.equal(live.event?.['height'], h3);
    assert.equal(live.event?.['txCount'], 1);
    client.send({ op: 'unsubscribe', id: 'heads' });
    assert.deepEqual(await client.next(), { op: 'unsubscribed', id: 'heads' });
    await kvPut('d');
    await client.quiet(400);
  });

  await t.test('log events: address and topic filters, backfill and live', async () => {
    const h1 = await emit(A, 1);
    await emit(B, 2);
    await emit(A, 2);
    const client = await Client.open(gateway, 'evm', evan);
    t.after(() => client.ws.close());
    client.send({ op: 'subscribe', id: 'a', type: 'logs', filter: { address: A }, fromHeight: h1 });
    client.send({ op: 'subscribe', id: 't2', type: 'logs', filter: { topics: [topic(2)] }, fromHeight: h1 });
    client.send({ op: 'subscribe', id: 'blocks', type: 'blocks' });
    const got: Record<string, { address: unknown; topic: unknown; height: unknown }[]> = { a: [], t2: [] };
    const acks = new Set<string>();
    while (got['a']!.length < 2 || got['t2']!.length < 2 || acks.size < 3) {
      const m = await client.next();
      if (m.op === 'subscribed') acks.add(m.id!);
      else got[m.id!]!.push({ address: m.event?.['address'], topic: (m.event?.['topics'] as string[])[0], height: m.event?.['height'] });
    }
    assert.deepEqual(got['a']!.map((e) => [e.address, e.topic]), [[A, topic(1)], [A, topic(2)]]);
    assert.deepEqual(got['t2']!.map((e) => [e.address, e.topic]), [[B, topic(2)], [A, topic(2)]]);
    // Live: one more log of A with topic 2 reaches both, and the block subscription sees its block.
    const h4 = await emit(A, 2);
    const seen = new Map<string, Message>();
    while (seen.size < 3) {
      const m = await client.next();
      seen.set(m.id!, m);
    }
    for (const id of ['a', 't2']) {
      const e = seen.get(id)!.event!;
      assert.equal(e['height'], h4);
      assert.equal(e['type'], 'log');
      assert.match(String(e['txHash']), /^0x[0-9a-f]{64}$/);
      assert.match(String(e['ethBlockHash']), /^0x[0-9a-f]{64}$/);
    }
    assert.equal(seen.get('blocks')!.event!['height'], h4);
    assert.match(String(seen.get('blocks')!.event!['ethHash']), /^0x[0-9a-f]{64}$/);
  });

  await t.test('malformed messages get typed errors and the socket keeps working', async () => {
    const client = await Client.open(gateway, 'kv', alice);
    t.after(() => client.ws.close());
    const expect = async (message: unknown, code: string) => {
      client.send(message);
      const m = await client.next();
      assert.equal(m.op, 'error', JSON.stringify(m));
      assert.equal(m.error?.code, code, JSON.stringify(m));
    };
    await expect('{not json', 'EVENTS_BAD_MESSAGE');
    await expect([], 'EVENTS_BAD_MESSAGE');
    await expect({ op: 'ping' }, 'EVENTS_BAD_MESSAGE');
    await expect({ op: 'subscribe', id: 'bad id!', type: 'blocks' }, 'EVENTS_BAD_REQUEST');
    await expect({ op: 'subscribe', id: 'x', type: 'logs' }, 'EVENTS_WRONG_APP_KIND');
    await expect({ op: 'subscribe', id: 'x', type: 'blocks', filter: { address: A } }, 'EVENTS_BAD_FILTER');
    await expect({ op: 'subscribe', id: 'x', type: 'blocks', fromHeight: 1e9 }, 'EVENTS_BAD_HEIGHT');
    await expect({ op: 'unsubscribe', id: 'nope' }, 'EVENTS_UNKNOWN_SUBSCRIPTION');
    await expect(JSON.stringify({ op: 'subscribe', id: 'x', type: 'blocks', pad: 'x'.repeat(2000) }), 'EVENTS_MESSAGE_TOO_LARGE');
    for (const id of ['s1', 's2', 's3']) {
      client.send({ op: 'subscribe', id, type: 'blocks' });
      assert.equal((await client.next()).op, 'subscribed');
    }
    await expect({ op: 'subscribe', id: 's1', type: 'blocks' }, 'EVENTS_DUPLICATE_ID');
    await expect({ op: 'subscribe', id: 's4', type: 'blocks' }, 'EVENTS_TOO_MANY_SUBSCRIPTIONS');
    // Generated junk: every message is answered with a typed error, never a crash or a close.
    const junk = fc.sample(fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), fc.record({ op: fc.constantFrom('subscribe', 'unsubscribe'), id: fc.string({ maxLength: 70 }), type: fc.jsonValue(), filter: fc.jsonValue(), fromHeight: fc.jsonValue() }, { requiredKeys: ['op'] }).map((v) => JSON.stringify(v))), 150);
    for (const text of junk) {
      client.send(text);
      const m = await client.next();
      assert.equal(m.op, 'error', `${text} → ${JSON.stringify(m)}`);
      assert.match(m.error?.code ?? '', /^EVENTS_[A-Z_]+$/);
    }
    client.send({ op: 'unsubscribe', id: 's1' });
    assert.deepEqual(await client.next(), { op: 'unsubscribed', id: 's1' });
  });

  await t.test('the upgrade is authenticated like a signed GET', async () => {
    await assert.rejects(Client.open(gateway, 'kv', undefined), /HTTP 401/);
    await assert.rejects(Client.open(gateway, 'evm', alice), /HTTP 403/);
    await assert.rejects(Client.open(gateway, 'nope', alice), /HTTP 404/);
    const reqPath = '/apps/kv/events';
    const plain = await fetch(`http://${gateway.address}${reqPath}`, { headers: signRequest({ gateway: gateway.id, method: 'GET', path: reqPath, appId: 'kv', certPem: alice.certPem, privateKey: alice.keyPem }) });
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'EVENTS_UPGRADE_REQUIRED');
  });
});
