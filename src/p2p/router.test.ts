import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fc from 'fast-check';
import { decode, encode, expectArray, expectUint } from '../codec/index.js';
import { BlockSync } from './block-sync.js';
import { CHANNEL, PROTOCOL_VERSION, encodeControl, encodeEnvelope } from './messages.js';
import type { PeerIdentity } from './identity.js';
import { rawTransport, sleep, startNode, testNet, waitFor, type TestNode } from './harness.test.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function connect(from: TestNode, to: TestNode): void {
  from.manager.addPersistentPeer({ host: '127.0.0.1', port: to.port, name: to.id.name });
  from.manager.start();
}

test('a peer whose hello names another network is dropped', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const a = await startNode(t, net, net.ids[0]!);
  const b = await startNode(t, net, net.ids[1]!, { networkId: 'AA:BB:another-root' });
  a.router.register('demo', {});
  b.router.register('demo', {});
  const dropped = once(a.manager, 'disconnected');
  connect(b, a);
  const [, reason] = await dropped;
  assert.equal((reason as { code?: string }).code, 'P2P_NETWORK_MISMATCH');
  assert.ok(a.logs.has('dropped a peer of another network or protocol', { peer: 'node2', networkId: 'AA:BB:another-root' }));
  assert.equal(a.router.peersHosting('demo').length, 0);
});

test('a peer that sends garbage on a valid channel is scored down, banned, and refused during the ban', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const a = await startNode(t, net, net.ids[0]!);
  const received: string[] = [];
  a.router.register('demo', { onConsensus: (_peer, body) => void received.push(text(body)) });
  const bad = rawTransport(t, net, net.ids[1]!);
  const conn = await bad.dial('127.0.0.1', a.port);
  conn.send(CHANNEL.control, encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: net.networkId, chains: [{ chainId: 'demo', height: 0 }] }));
  conn.send(CHANNEL.consensus, encodeEnvelope('demo', bytes('a fine message')));
  await waitFor(() => received.length === 1, 2_000, 'the good message');
  conn.send(CHANNEL.consensus, Uint8Array.of(0xff, 0x00, 0x13));
  await waitFor(() => a.manager.score(net.ids[1]!.fingerprint) < 100, 2_000, 'the score to drop');
  assert.equal(a.manager.connections().length, 1, 'one offence does not disconnect');
  const closed = once(conn, 'close');
  for (let i = 0; i < 10 && conn.isOpen; i++) conn.send(CHANNEL.consensus, Uint8Array.of(0x82, 0x01, i));
  await closed;
  assert.ok(a.manager.isBanned(net.ids[1]!.fingerprint));
  assert.ok(a.logs.has('peer banned', { peer: 'node2' }));
  assert.equal(a.manager.metrics().peersBanned, 1);
  assert.ok(a.manager.metrics().decodeErrors >= 5);
  assert.deepEqual(received, ['a fine message']);

  // It comes back with the same certificate: TLS lets it in, the manager closes it at once.
  let connected = 0;
  a.manager.on('connected', () => connected++);
  const again = await bad.dial('127.0.0.1', a.port);
  if (again.isOpen) await once(again, 'close');
  assert.equal(connected, 0);
  assert.ok(a.logs.has('refused a banned peer', { peer: 'node2' }));
});

test('broadcast reaches exactly the peers hosting the chain; unknown chains are ignored unpunished; txs are not echoed', async (t) => {
  const net = await testNet(t, ['node1', 'node2', 'node3', 'node4']);
  const [a, b, c, d] = await Promise.all(net.ids.map((id, i) => startNode(t, net, id, { seed: i })));
  const got = new Map<string, string[]>();
  const record = (node: TestNode, chainId: string) => (peer: PeerIdentity, body: Uint8Array) => {
    const key = `${node.id.name}/${chainId}`;
    got.set(key, [...(got.get(key) ?? []), `${peer.name}:${text(body)}`]);
  };
  const host = (node: TestNode, chainId: string, onTx?: (peer: PeerIdentity, body: Uint8Array) => void) =>
    node.router.register(chainId, { onConsensus: record(node, chainId), onTransaction: onTx ?? record(node, chainId) });
  // A hosts x and y; B hosts x; C hosts x and y; D hosts nothing.
  host(a!, 'x', (peer, body) => {
    record(a!, 'x')(peer, body);
    a!.router.broadcast('x', CHANNEL.transactions, body); // a mempool gossips what it admits
  });
  host(a!, 'y');
  host(b!, 'x');
  host(c!, 'x');
  host(c!, 'y');
  for (const peer of [b!, c!, d!]) connect(a!, peer);
  connect(b!, c!);
  await waitFor(() => a!.router.peersHosting('x').length === 2 && a!.router.peersHosting('y').length === 1 && b!.router.peersHosting('x').length === 2, 3_000, 'hellos');

  assert.equal(a!.router.broadcast('x', CHANNEL.consensus, bytes('vote-x')), 2);
  assert.equal(a!.router.broadcast('y', CHANNEL.consensus, bytes('vote-y')), 1);
  await waitFor(() => got.has('node2/x') && got.get('node3/x')?.length === 1 && got.has('node3/y'), 2_000, 'deliveries');
  assert.deepEqual(got.get('node2/x'), ['node1:vote-x']);
  assert.deepEqual(got.get('node3/y'), ['node1:vote-y']);
  assert.equal(d!.manager.metrics().messagesIn.consensus ?? 0, 0);
  assert.equal(c!.manager.metrics().ignoredUnknownChain, 0);

  // A chain D does not host: counted and ignored, D does not hold it against A.
  assert.equal(a!.router.send(d!.id.fingerprint, 'z', CHANNEL.consensus, bytes('?')), true);
  await waitFor(() => d!.manager.metrics().ignoredUnknownChain === 1, 2_000, 'the ignored message');
  assert.equal(d!.manager.score(a!.id.fingerprint), 100);

  // B gossips a transaction to A and C; A's re-broadcast goes to C only, which drops it as a duplicate.
  assert.equal(b!.router.broadcast('x', CHANNEL.transactions, bytes('tx1')), 2);
  await waitFor(() => c!.manager.metrics().duplicateTransactions === 1, 2_000, 'the echo to be suppressed');
  assert.deepEqual(got.get('node1/x')?.filter((m) => m.includes('tx1')), ['node2:tx1']);
  assert.deepEqual(got.get('node3/x')?.filter((m) => m.includes('tx1')), ['node2:tx1']);
  assert.equal(a!.manager.metrics().messagesOut.transactions, 1, 'A did not send tx1 back to B');
  assert.equal(b!.router.broadcast('x', CHANNEL.transactions, bytes('tx1')), 0, 'B knows both peers have it');
  await sleep(50);
  assert.equal(b!.manager.metrics().messagesIn.transactions ?? 0, 0);
});

test('random bytes as message bodies on every channel never throw out of the router; they cost the sender score', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  // No ban during the run, so every input reaches the decoders.
  const a = await startNode(t, net, net.ids[0]!, { scoring: { banBelow: -1e12 } });
  const store = { height: 0, block: async () => undefined, certificate: async () => undefined, append: async () => undefined };
  const sync = new BlockSync({ router: a.router, chainId: 'demo', store, verify: async () => undefined });
  const strict = (_peer: PeerIdentity, body: Uint8Array) => void expectUint(expectArray(decode(body), 'vote', 2)[0]);
  a.router.register('demo', { ...sync.handlers(), onConsensus: strict, onTransaction: strict });
  const bad = rawTransport(t, net, net.ids[1]!);
  const conn = await bad.dial('127.0.0.1', a.port);
  conn.send(CHANNEL.control, encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: net.networkId, chains: [{ chainId: 'demo', height: 0 }] }));
  await waitFor(() => a.router.peersHosting('demo').length === 1, 2_000, 'hello');
  const inbound = a.manager.connection(net.ids[1]!.fingerprint)!;

  const cbor = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 5 })),
  })).value;
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    cbor.map((v) => encode(v as never)),
    fc.tuple(fc.constantFrom('demo', 'other'), fc.uint8Array({ maxLength: 100 })).map(([chain, b]) => encodeEnvelope(chain, b)),
    fc.tuple(fc.constantFrom('demo'), cbor).map(([chain, v]) => encodeEnvelope(chain, encode(v as never))),
  );
  fc.assert(
    fc.property(fc.constantFrom(CHANNEL.control, CHANNEL.consensus, CHANNEL.transactions, CHANNEL.sync, 7, 255), body, (channel, payload) => {
      a.manager.emit('frame', inbound, { channel, payload });
    }),
    { numRuns: 2_000 },
  );
  // The same over the wire, so the real path from socket to handler is covered too.
  const random = fc.sample(fc.tuple(fc.constantFrom(0, 1, 2, 3), body), { numRuns: 300, seed: 7 });
  for (const [channel, payload] of random) conn.send(channel, payload);
  await sleep(100);
  const metrics = a.manager.metrics();
  assert.ok(metrics.decodeErrors > 100, `decode errors: ${metrics.decodeErrors}`);
  assert.ok(metrics.ignoredUnknownChannel > 0);
  assert.ok(a.manager.score(net.ids[1]!.fingerprint) < 0);
  assert.equal(a.logs.entries.filter((e) => e.msg === 'a chain handler failed on a peer message').length, 0, 'every failure was typed');
});
