import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { encode } from '../codec/index.js';
import { BlockSync } from './block-sync.js';
import { ConnectionLimitError, OutgoingBufferOverflowError } from './errors.js';
import { encodeFrame } from './frame.js';
import { CHANNEL, PROTOCOL_VERSION, encodeControl, encodeEnvelope, encodeSync } from './messages.js';
import { PeerManager } from './peer-manager.js';
import { Router } from './router.js';
import { RateLimiter, SyncServeGate } from './serve-limits.js';
import { Transport } from './transport.js';
import { testNet, waitFor, sleep, type Identity, type TestContext, type TestNet } from './harness.test.js';

const CHAIN = 'demo';

/** A certified peer that says hello and then never reads a byte: what H4 is about. */
async function nonReader(t: TestContext, net: TestNet, id: Identity, port: number): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port, cert: id.certChainPem, key: id.keyPem, ca: net.pki.rootPem, minVersion: 'TLSv1.3', rejectUnauthorized: true });
  t.after(() => socket.destroy());
  // The node may drop it (that is the point); the writes after that fail, and that is fine.
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect');
  socket.pause();
  const hello = encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: net.networkId, chains: [{ chainId: CHAIN, height: 0 }] });
  socket.write(encodeFrame({ channel: CHANNEL.control, payload: hello }));
  return socket;
}

/** A store of `n` blocks of `size` bytes each, as block sync reads it. */
function memoryStore(n: number, size: number) {
  const block = new Uint8Array(size).fill(7);
  const cert = new Uint8Array(64).fill(9);
  return {
    height: n,
    block: async (h: number) => (h >= 1 && h <= n ? block : undefined),
    certificate: async (h: number) => (h >= 1 && h <= n ? cert : undefined),
    append: async () => undefined,
  };
}

test('H4: a peer that never reads is dropped once its queue passes the limit, and scored down; transaction gossip to it is shed first', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const limit = 1024 * 1024;
  const manager = new PeerManager({ transport: { certChainPem: net.ids[0]!.certChainPem, keyPem: net.ids[0]!.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems, maxQueuedBytes: limit } });
  const router = new Router(manager, { networkId: net.networkId });
  router.register(CHAIN, {});
  const { port } = await manager.listen(0);
  t.after(async () => {
    router.close();
    await manager.close();
  });
  const socket = await nonReader(t, net, net.ids[1]!, port);
  const fingerprint = net.ids[1]!.fingerprint;
  await waitFor(() => router.peersHosting(CHAIN).length === 1, 3_000, 'the hello');
  let reason: Error | undefined;
  manager.on('disconnected', (_conn, why) => (reason = why));
  const body = new Uint8Array(64 * 1024).fill(1);
  let maxQueued = 0;
  let sent = 0;
  for (let i = 0; i < 2_000 && manager.connection(fingerprint); i++) {
    const conn = manager.connection(fingerprint)!;
    router.broadcast(CHAIN, CHANNEL.consensus, body);
    // A tx body differs each time, or the gossip filter would not send it twice.
    router.broadcast(CHAIN, CHANNEL.transactions, encode([i, body]));
    maxQueued = Math.max(maxQueued, conn.queuedBytes);
    sent++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(manager.connection(fingerprint), undefined, `dropped within ${sent} rounds`);
  assert.ok(reason instanceof OutgoingBufferOverflowError, `dropped for overflow, not ${String(reason)}`);
  assert.ok(maxQueued <= limit, `never more than the limit queued (${maxQueued})`);
  assert.ok(manager.metrics().shedMessages > 0, 'transaction gossip was shed while the peer lagged');
  assert.ok(manager.score(fingerprint) < 75, `scored down (${manager.score(fingerprint)})`);
  t.diagnostic(`dropped after ${sent} rounds of 64 KiB consensus + tx gossip; at most ${maxQueued} bytes queued`);
  socket.destroy();
});

test('H4: getBlocks over and over from a peer that never reads: answers are bounded in bytes, rate-limited, and never queue past the limit', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const limit = 2 * 1024 * 1024;
  const manager = new PeerManager({ transport: { certChainPem: net.ids[0]!.certChainPem, keyPem: net.ids[0]!.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems, maxQueuedBytes: limit } });
  const router = new Router(manager, { networkId: net.networkId });
  const sync = new BlockSync({ router, chainId: CHAIN, store: memoryStore(1000, 16 * 1024), verify: async () => undefined, serve: { maxReplyBytes: 256 * 1024 } });
  router.register(CHAIN, sync.handlers());
  const { port } = await manager.listen(0);
  t.after(async () => {
    router.close();
    await manager.close();
  });
  const socket = await nonReader(t, net, net.ids[1]!, port);
  const fingerprint = net.ids[1]!.fingerprint;
  await waitFor(() => router.peersHosting(CHAIN).length === 1, 3_000, 'the hello');
  // Instrumented, not mocked: the real send, with the queue read after each frame.
  let maxQueued = 0;
  const conn = manager.connection(fingerprint)!;
  const send = conn.send.bind(conn);
  conn.send = (channel, payload) => {
    const queued = send(channel, payload);
    maxQueued = Math.max(maxQueued, conn.queuedBytes);
    return queued;
  };
  const before = manager.counters.bytesOut;
  // 500 requests for 64 blocks of 16 KiB: a MiB each unbounded, half a GiB in all.
  for (let i = 0; i < 500; i++) {
    if (socket.destroyed) break;
    socket.write(encodeFrame({ channel: CHANNEL.sync, payload: encodeEnvelope(CHAIN, encodeSync({ type: 'getBlocks', requestId: i, from: 1, count: 64 })) }));
    if (i % 50 === 0) await sleep(5);
  }
  await sleep(500);
  const served = manager.counters.bytesOut - before;
  assert.ok(maxQueued <= limit, `queue bounded by the limit (${maxQueued})`);
  assert.ok(manager.metrics().syncRateLimited > 0, 'requests over the rate were refused');
  assert.ok(served < 40 * 300 * 1024, `bytes answered are bounded (${served})`);
  assert.ok(manager.connection(fingerprint)?.isOpen, 'refusals are cheap: the peer was not even dropped');
  t.diagnostic(`served ${served} bytes for 500 requests; at most ${maxQueued} queued; ${manager.metrics().syncRateLimited} refused; dropped: ${manager.connection(fingerprint) === undefined}`);
});

test('H4: inbound connections are capped per IP before the handshake, and per identity after it', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const server = new Transport({ certChainPem: net.ids[0]!.certChainPem, keyPem: net.ids[0]!.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems, limits: { maxInboundPerIp: 3, maxInboundPerIdentity: 1 } });
  const { port } = await server.listen(0);
  t.after(() => server.close());
  const rejected: Error[] = [];
  server.on('rejected', (_remote, reason) => rejected.push(reason));
  const accepted: unknown[] = [];
  server.on('connection', (c) => accepted.push(c));

  const client = new Transport({ certChainPem: net.ids[1]!.certChainPem, keyPem: net.ids[1]!.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems });
  t.after(() => client.close());
  await client.dial('127.0.0.1', port);
  await waitFor(() => accepted.length === 1, 2_000, 'the first connection');
  // The same certificate again: over the per-identity cap of 1.
  await client.dial('127.0.0.1', port).catch(() => undefined);
  await waitFor(() => rejected.some((e) => e instanceof ConnectionLimitError && e.message.includes('per-identity')), 2_000, 'the per-identity refusal');
  assert.equal(accepted.length, 1);

  // Raw TCP sockets that never start TLS: the third from this IP is closed at once.
  const raws = [0, 1, 2].map(() => tcpConnect(port, '127.0.0.1'));
  t.after(() => raws.forEach((s) => s.destroy()));
  await waitFor(() => rejected.some((e) => e instanceof ConnectionLimitError && e.message.includes('per-IP')), 2_000, 'the per-IP refusal');
});

test('the rate limiter refills at its rate up to its burst, and forgets idle peers', () => {
  let now = 0;
  const rate = new RateLimiter(10, 5, () => now);
  for (let i = 0; i < 5; i++) assert.ok(rate.take('p'), `burst ${i}`);
  assert.equal(rate.take('p'), false);
  now += 100;
  assert.ok(rate.take('p'));
  assert.equal(rate.take('p'), false);
  now += 10_000;
  for (let i = 0; i < 5; i++) assert.ok(rate.take('p'));
  assert.equal(rate.take('p'), false);
  for (let i = 0; i < 1100; i++) rate.take(`peer${i}`);
  now += 10_000;
  rate.take('late');
  assert.ok(rate.size < 200, `idle buckets pruned (${rate.size})`);
});

test("the serve gate runs a peer's requests one after the other, lets at most 4 wait, and keeps peers apart", async () => {
  const gate = new SyncServeGate({ requestsPerSecond: 1000, burst: 1000 });
  const order: string[] = [];
  let release!: () => void;
  const first = gate.enqueue('p', () => new Promise<void>((resolve) => (release = resolve)).then(() => void order.push('p0')));
  const more = [1, 2, 3].map((i) => gate.enqueue('p', () => void order.push(`p${i}`)));
  assert.equal(typeof gate.enqueue('p', () => undefined), 'string', 'a fifth waiting request is refused');
  const other = gate.enqueue('q', () => void order.push('q0'));
  await other;
  assert.deepEqual(order, ['q0'], "another peer does not wait behind p's queue");
  release();
  await Promise.all([first, ...more]);
  assert.deepEqual(order, ['q0', 'p0', 'p1', 'p2', 'p3']);
  assert.notEqual(typeof gate.enqueue('p', () => undefined), 'string', 'drained: takes requests again');
});
