import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { parseEther, Wallet } from 'ethers';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { RequestAuthenticator, signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

/*
 * The gateway's traffic bounds with real sockets: canonical app ids (M2), per-IP, per-caller and
 * authenticated-share limits (M3), HTTP timeouts and connection caps (M12), bounded WebSockets
 * (H4(b)), the periodic re-check of authenticated sockets (L8(5)) and TLS (M5).
 */

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WsClient {
  readonly bufferedAmount: number;
  on(event: 'open', listener: () => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode: number }) => void): void;
  send(data: string): void;
  close(): void;
  readonly _socket: net.Socket;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, options?: { headers?: Record<string, string> }) => WsClient;

async function issueUser(pki: TestPki, name: string, app: string) {
  const out = path.join(pki.dir, `user-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'user', name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

const opened = (ws: WsClient) =>
  new Promise<void>((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('unexpected-response', (_r, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
const closed = (ws: WsClient) => new Promise<number>((resolve) => ws.on('close', resolve));

test('gateway traffic limits', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([{ chainId: 'kv', app: 'kv' }, { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('1').toString() } } } }]);
  t.after(stop);
  const alice = await issueUser(pki, 'alice', 'kv');
  const evan = await issueUser(pki, 'evan', 'evm');
  const gateways: Gateway[] = [];
  t.after(async () => {
    for (const g of gateways) await g.close();
  });
  const start = async (options: Omit<GatewayOptions, 'listen'>) => {
    const g = await startGateway(node, { listen: '127.0.0.1:0', storeDir: path.join(pki.dir, `store-${gateways.length}`), ...options });
    gateways.push(g);
    return g;
  };
  type Caller = { certPem: string; keyPem: string };
  const send = async (g: Gateway, caller: Caller | undefined, method: string, reqPath: string, appId = reqPath.split('/')[2]!) => {
    const headers = caller ? signRequest({ gateway: g.id, method, path: reqPath, appId, certPem: caller.certPem, privateKey: caller.keyPem }) : {};
    const response = await fetch(`http://${g.address}${reqPath}`, { method, headers });
    const text = await response.text();
    return { status: response.status, gateway: response.headers.get('x-bsn-gateway'), json: (text ? JSON.parse(text) : {}) as { error?: { code: string | number; message: string }; jsonrpc?: string } };
  };
  const rpc = async (g: Gateway, reqPath = '/apps/evm/rpc') => {
    const response = await fetch(`http://${g.address}${reqPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }) });
    return { status: response.status, json: (await response.json()) as { error?: { code: number; message: string } } };
  };

  await t.test('M2: a percent-encoded app id is refused with 400, on REST and JSON-RPC', async () => {
    const g = await start({ rest: {}, quotas: { apps: { kv: { requestsPerSecond: 1, burst: 1 }, evm: { requestsPerSecond: 1, burst: 1 } } } });
    const encoded = await send(g, alice, 'GET', '/apps/%6Bv/state/0x00', 'kv');
    assert.equal(encoded.status, 400, JSON.stringify(encoded.json));
    assert.equal(encoded.json.error?.code, 'REST_NON_CANONICAL_APP');
    const rpcEncoded = await rpc(g, '/apps/%65vm/rpc');
    assert.equal(rpcEncoded.status, 400);
    assert.equal(rpcEncoded.json.error?.code, -32600);
    // The canonical spellings still work, and answer with the gateway's identity.
    const plain = await send(g, alice, 'GET', '/apps/kv/state/0x00');
    assert.equal(plain.status, 200);
    assert.equal(plain.gateway, g.id);
    assert.equal((await rpc(g)).status, 200);
    // And the quota holds: the encoded spelling did not get a budget of its own.
    assert.equal((await rpc(g, '/apps/%65vm/rpc')).status, 400);
    assert.equal((await rpc(g)).status, 429);
  });

  await t.test('M3: an anonymous JSON-RPC flood gets 429, a signed REST caller of the app still gets through', async () => {
    const g = await start({ rest: {}, quotas: { apps: { evm: { requestsPerSecond: 2, burst: 10 } } }, traffic: { authenticatedShare: 0.5 } });
    const flood = await Promise.all(Array.from({ length: 30 }, () => rpc(g)));
    const refused = flood.filter((r) => r.status === 429).length;
    assert.ok(refused >= 20, `${refused} of 30 refused`);
    for (let i = 0; i < 4; i++) {
      const signed = await send(g, evan, 'GET', '/apps/evm/blocks/0');
      assert.notEqual(signed.status, 429, JSON.stringify(signed.json));
    }
  });

  await t.test('M3: per-IP and per-caller rates', async () => {
    const g = await start({ rest: {}, traffic: { perIp: { requestsPerSecond: 1, burst: 4 }, perCaller: { requestsPerSecond: 1, burst: 2 } } });
    assert.equal((await send(g, alice, 'GET', '/apps/kv/state/0x00')).status, 200);
    assert.equal((await send(g, alice, 'GET', '/apps/kv/state/0x00')).status, 200);
    const caller = await send(g, alice, 'GET', '/apps/kv/state/0x00');
    assert.equal(caller.status, 429);
    assert.equal(caller.json.error?.code, 'QUOTA_CALLER_RATE');
    assert.equal((await send(g, undefined, 'GET', '/apps/kv/state/0x00')).status, 401);
    const ip = await send(g, undefined, 'GET', '/apps/kv/state/0x00');
    assert.equal(ip.status, 429);
    assert.equal(ip.json.error?.code, 'QUOTA_IP_RATE');
  });

  await t.test('M12: a slow body is cut off; connections and in-flight requests are capped per IP', async () => {
    const g = await start({ traffic: { requestTimeoutMs: 500, maxConnectionsPerIp: 3, perIp: { concurrent: 2 } } });
    const [host, port] = [g.address.split(':')[0]!, Number(g.address.split(':')[1])];
    const slow = (): Promise<{ socket: net.Socket; ended: Promise<number> }> =>
      new Promise((resolve) => {
        const socket = net.connect(port, host, () => {
          socket.write(`POST /apps/evm/rpc HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"jsonrpc":`);
          const began = Date.now();
          resolve({ socket, ended: new Promise((r) => socket.on('close', () => r(Date.now() - began))) });
        });
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
      });
    const a = await slow();
    const b = await slow();
    await sleep(50);
    // Two requests in flight from this IP: a third is refused at once.
    const third = await rpc(g);
    assert.equal(third.status, 429);
    assert.equal((third.json.error as { message: string } | undefined)?.message.includes('in flight'), true);
    const c = await slow();
    // A fourth connection from this IP is dropped.
    const fourth = net.connect(port, host);
    const fourthClosed = await new Promise<boolean>((resolve) => {
      fourth.on('close', () => resolve(true));
      fourth.on('error', () => undefined);
      setTimeout(() => resolve(false), 2000);
    });
    assert.equal(fourthClosed, true);
    // The slow bodies never finish: each is cut off after about requestTimeoutMs.
    for (const s of [a, b, c]) assert.ok((await s.ended) < 5000);
    assert.equal((await rpc(g)).status, 200);
  });

  await t.test('H4(b): a JSON-RPC socket that pipelines without reading is closed, and its queue stays bounded', async (st) => {
    // Only the buffer bound can close this one: the pending bound is out of reach.
    const g = await start({ traffic: { perIp: { requestsPerSecond: 100_000, burst: 100_000 }, ws: { maxBufferedBytes: 64 * 1024, maxPendingMessages: 100_000 } } });
    const strict = await start({ traffic: { ws: { maxPendingMessages: 16 } } });
    const ws = new WebSocket(`ws://${g.address}/apps/evm/rpc`);
    await opened(ws);
    const done = closed(ws);
    ws._socket.pause(); // never reads
    const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: ['0x0', true] })));
    const answerBytes = Buffer.byteLength(JSON.stringify(await (await fetch(`http://${g.address}/apps/evm/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch })).json()));
    let sent = 0;
    let isClosed = false;
    void done.then(() => (isClosed = true));
    const heapBefore = process.memoryUsage().heapUsed;
    while (!isClosed && sent < 2000) {
      for (let i = 0; i < 4; i++) ws.send(batch);
      sent += 4;
      await sleep(20);
    }
    ws._socket.resume();
    const code = await done;
    st.diagnostic(`closed after ${sent} batches (${((sent * answerBytes) / 1e6).toFixed(1)} MB of answers asked); heap +${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB`);
    assert.ok(sent < 2000, `closed after ${sent} batches (${(sent * answerBytes) / 1e6} MB of answers)`);
    assert.equal(code, 1006); // dropped, not a clean close: the client was not reading
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);
    // A client that pipelines more than maxPendingMessages at once is closed too.
    const eager = new WebSocket(`ws://${strict.address}/apps/evm/rpc`);
    await opened(eager);
    const eagerClosed = closed(eager);
    for (let i = 0; i < 200; i++) eager.send(batch);
    assert.equal(await eagerClosed, 1006);
  });

  await t.test('H4(b): socket caps, and a client that answers no ping is closed', async () => {
    const g = await start({ traffic: { ws: { maxSockets: 2, pingIntervalMs: 200 } } });
    const one = new WebSocket(`ws://${g.address}/apps/evm/rpc`);
    await opened(one);
    const two = new WebSocket(`ws://${g.address}/apps/evm/rpc`);
    await opened(two);
    const three = new WebSocket(`ws://${g.address}/apps/evm/rpc`);
    assert.equal(await closed(three), 1013);
    // `one` stops reading, so it never answers a ping: it goes within two intervals or so.
    const oneClosed = closed(one);
    one._socket.pause();
    const began = Date.now();
    setTimeout(() => one._socket.resume(), 1500);
    await oneClosed;
    assert.ok(Date.now() - began < 3000);
    two.close();
  });

  await t.test('L8(5): an events socket is closed once its certificate is revoked', async () => {
    const authenticator = new RequestAuthenticator({ gateway: 'gw-l8', rootPem: pki.rootPem, intermediatePems: [pki.operatorPem], crlPems: await pki.crls() });
    const g = await start({ rest: { authenticator }, traffic: { ws: { recheckIntervalMs: 200 } } });
    const bob = await issueUser(pki, 'bob', 'kv');
    const reqPath = '/apps/kv/events';
    const ws = new WebSocket(`ws://${g.address}${reqPath}`, { headers: signRequest({ gateway: g.id, method: 'GET', path: reqPath, appId: 'kv', certPem: bob.certPem, privateKey: bob.keyPem }) });
    await opened(ws);
    const done = closed(ws);
    await sleep(500);
    await pki.revoke(bob.certPem);
    authenticator.updateCrls(await pki.crls());
    assert.equal(await done, 4401);
  });

  await t.test('M5: the gateway serves HTTPS with a certificate of the operator CA', async () => {
    const leaf = await pki.issue('gateway1', 'node');
    const g = await start({ tls: { cert: leaf.certChainPem, key: leaf.keyPem } });
    assert.equal(g.tls, true);
    assert.match(g.rpcUrl('evm'), /^https:/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(g.rpcUrl('evm'), { method: 'POST', ca: pki.rootPem, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }));
    });
    assert.deepEqual(JSON.parse(body), { jsonrpc: '2.0', id: 1, result: '0x1092' });
    // Plain HTTP on the TLS port gets nowhere.
    await assert.rejects(fetch(`http://${g.address}/apps/evm/rpc`, { method: 'POST', body: '{}' }));
  });
});
