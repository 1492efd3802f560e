import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { issueLeaf, parseCertificatePem } from '../pki/index.js';
import { backoffDelay, seededRandom } from './backoff.js';
import { PeerScores, DEFAULT_SCORING } from './scoring.js';
import { PeerManager } from './peer-manager.js';
import type { PeerConnection } from './connection.js';
import { startNode, testNet, waitFor, sleep, LogRecorder, type TestNode } from './harness.test.js';

function fullMesh(nodes: readonly TestNode[]): boolean {
  return nodes.every((n) => n.manager.connections().length === nodes.length - 1);
}

function tieBroken(nodes: readonly TestNode[]): boolean {
  return nodes.every((a) => nodes.every((b) => a === b || a.manager.connection(b.id.fingerprint)?.outbound === a.id.fingerprint < b.id.fingerprint));
}

/** Both ends of every pair hold the connection dialled by the lower fingerprint, and only that one. */
function assertTieBreak(nodes: readonly TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b) continue;
      const conn = a.manager.connection(b.id.fingerprint);
      assert.ok(conn?.isOpen, `${a.id.name} → ${b.id.name} open`);
      assert.equal(conn.outbound, a.id.fingerprint < b.id.fingerprint, `${a.id.name} keeps the connection dialled by the lower fingerprint`);
    }
  }
}

test('three nodes form a full mesh with one connection per pair, and reconnect to a restarted node', async (t) => {
  const net = await testNet(t, ['node1', 'node2', 'node3']);
  const nodes = await Promise.all(net.ids.map((id, i) => startNode(t, net, id, { seed: i + 1 })));
  // Every node is configured with every node, itself included, so each pair dials both ways at once.
  for (const node of nodes) for (const peer of nodes) node.manager.addPersistentPeer({ host: '127.0.0.1', port: peer.port, name: peer.id.name });
  for (const node of nodes) node.manager.start();

  const meshMs = await waitFor(() => fullMesh(nodes) && tieBroken(nodes), 5_000, 'a full mesh');
  const kept = nodes.map((n) => n.manager.connections());
  await sleep(300);
  // Stable: no churn once the duplicates are gone.
  nodes.forEach((n, i) => assert.ok(n.manager.connections().every((c, j) => c === kept[i]![j]), `${n.id.name} kept its connections`));
  assertTieBreak(nodes);
  for (const node of nodes) assert.ok(node.logs.has('closed a connection to this node itself'), `${node.id.name} closed its self-connection`);
  assert.ok(nodes.some((n) => n.logs.has('closed a duplicate connection') || n.logs.has('replaced a duplicate connection')));

  // The kept connections are the same TCP connection at both ends: a frame on one arrives on the other.
  const [a, b] = nodes as [TestNode, TestNode, TestNode];
  const got = new Promise<PeerConnection>((resolve) => b.manager.once('frame', (conn) => resolve(conn)));
  a.manager.send(a.manager.connection(b.id.fingerprint)!, 9, Uint8Array.of(1));
  assert.equal(await got, b.manager.connection(a.id.fingerprint));

  // Kill node2 and start it again: same identity, same port, new instance.
  const victim = nodes[1]!;
  victim.router.close();
  await victim.manager.close();
  await waitFor(() => nodes[0]!.manager.connections().length === 1 && nodes[2]!.manager.connections().length === 1, 2_000, 'the others to notice');
  const restarted = await startNode(t, net, victim.id, { port: victim.port, seed: 9 });
  for (const peer of nodes) restarted.manager.addPersistentPeer({ host: '127.0.0.1', port: peer.port, name: peer.id.name });
  restarted.manager.start();
  const again = [nodes[0]!, restarted, nodes[2]!];
  const reconnectMs = await waitFor(() => fullMesh(again), 3_000, 'reconnection to the restarted node');
  await waitFor(() => tieBroken(again), 2_000, 'the tie-break after the restart');
  assertTieBreak(again);
  t.diagnostic(`mesh formed in ${meshMs} ms; reconnected in ${reconnectMs} ms`);
});

test('a configured address that leads to another node than the one named is not kept', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const [a, b] = await Promise.all(net.ids.map((id) => startNode(t, net, id)));
  a!.manager.addPersistentPeer({ host: '127.0.0.1', port: b!.port, name: 'node7' });
  a!.manager.start();
  await waitFor(() => a!.logs.has('unexpected node at a configured address', { expected: 'node7', found: 'node2' }), 2_000, 'the mismatch');
  assert.equal(a!.manager.connections().length, 0);
});

test('close() stops dialling and leaves no timer behind', async (t) => {
  // A port that refuses connections, so the manager keeps backing off.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const net = await testNet(t, ['node1']);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const logs = new LogRecorder();
  const id = net.ids[0]!;
  const manager = new PeerManager({
    transport: { certChainPem: id.certChainPem, keyPem: id.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems },
    persistentPeers: [{ host: '127.0.0.1', port: deadPort }],
    backoff: { baseMs: 5, capMs: 20 },
    random: seededRandom(3),
    logger: logs,
  });
  manager.start();
  await waitFor(() => logs.entries.filter((e) => e.msg === 'dial failed').length >= 3, 2_000, 'a few failed dials');
  await manager.close();
  await sleep(50);
  assert.equal(timers(), before);
  const failures = logs.entries.filter((e) => e.msg === 'dial failed').length;
  await sleep(100);
  assert.equal(logs.entries.filter((e) => e.msg === 'dial failed').length, failures, 'no dial after close');
});

test('backoff grows exponentially to the cap, with reproducible jitter that never reaches zero', () => {
  const options = { baseMs: 250, capMs: 30_000 };
  const run = (seed: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 12 }, (_, attempt) => backoffDelay(attempt, options, random));
  };
  const delays = run(42);
  assert.deepEqual(delays, run(42));
  assert.notDeepEqual(delays, run(43));
  assert.equal(delays[0], 0, 'the first dial is immediate');
  for (let attempt = 1; attempt < delays.length; attempt++) {
    const step = Math.min(30_000, 250 * 2 ** (attempt - 1));
    assert.ok(delays[attempt]! >= step / 2 && delays[attempt]! <= step, `attempt ${attempt}: ${delays[attempt]} within [${step / 2}, ${step}]`);
  }
  assert.ok(backoffDelay(1_000, options, () => 0.999) <= 30_000);
});

test('scores recover over time; a ban lasts its period and then ends with a fresh score', () => {
  let now = 1_000_000;
  const scores = new PeerScores({ ...DEFAULT_SCORING, banMs: 60_000 }, () => now);
  assert.equal(scores.penalize('P', 'undecodable'), false);
  assert.equal(scores.score('P'), 80);
  now += 10_000;
  assert.equal(scores.score('P'), 90);
  for (let i = 0; i < 3; i++) assert.equal(scores.penalize('P', 'invalid'), i === 2, `offence ${i}`);
  scores.ban('P');
  assert.ok(scores.isBanned('P'));
  assert.equal(scores.bannedCount(), 1);
  now += 59_999;
  assert.ok(scores.isBanned('P'));
  now += 2;
  assert.equal(scores.isBanned('P'), false);
  assert.equal(scores.bannedCount(), 0);
  assert.equal(scores.score('P'), 100);
});

test('M11: an impostor with the same CN that connects first does not stop the dial to the real peer; pins by fingerprint and operator hold', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const out = path.join(net.pki.dir, 'impostor');
  await issueLeaf({ caDir: path.join(net.pki.dir, 'op1'), out, kind: 'node', name: 'node2', sans: ['127.0.0.1'], secret: { passphrase: 'correct horse battery staple' } });
  const certPem = readFileSync(path.join(out, 'cert.pem'), 'utf8');
  const impostorId = { name: 'node2', certChainPem: certPem + net.pki.operatorPem, keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8'), fingerprint: parseCertificatePem(certPem).fingerprint };
  const [a, real] = await Promise.all(net.ids.map((id) => startNode(t, net, id)));
  const impostor = await startNode(t, net, impostorId);
  impostor.manager.addPersistentPeer({ host: '127.0.0.1', port: a!.port });
  impostor.manager.start();
  await waitFor(() => a!.manager.connection(impostorId.fingerprint) !== undefined, 3_000, 'the impostor to connect inbound');

  a!.manager.addPersistentPeer({ host: '127.0.0.1', port: real!.port, name: 'node2' });
  a!.manager.start();
  await waitFor(() => a!.manager.connection(real!.id.fingerprint)?.isOpen === true, 3_000, 'node1 to dial the real node2 despite the impostor');
  assert.ok(a!.manager.connection(impostorId.fingerprint)?.isOpen, 'the impostor is a certified node and may stay');

  // A fingerprint pin (any case, colons or not) admits only that certificate at the address.
  const pinned = await startNode(t, net, net.ids[0]!);
  pinned.manager.addPersistentPeer({ host: '127.0.0.1', port: impostor.port, name: 'node2', fingerprint: real!.id.fingerprint.replace(/:/g, '').toLowerCase() });
  pinned.manager.addPersistentPeer({ host: '127.0.0.1', port: real!.port, fingerprint: real!.id.fingerprint, operator: parseCertificatePem(net.pki.operatorPem).subjectText });
  pinned.manager.start();
  await waitFor(() => pinned.logs.has('unexpected node at a configured address', { fingerprint: impostorId.fingerprint }), 3_000, 'the pin to refuse the impostor');
  await waitFor(() => pinned.manager.connection(real!.id.fingerprint)?.isOpen === true, 3_000, 'the pinned real peer');
  assert.equal(pinned.manager.connection(impostorId.fingerprint), undefined, 'the impostor was not kept by the pinned node (it did not dial it)');
});

test('an admission policy (the governance registry) drops the kept peers it refuses and refuses them while it is in force; lifting it lets them back', async (t) => {
  const net = await testNet(t, ['node1', 'node2']);
  const [a, b] = await Promise.all(net.ids.map((id, i) => startNode(t, net, id, { seed: i + 1 })));
  a!.manager.addPersistentPeer({ host: '127.0.0.1', port: b!.port, name: 'node2' });
  b!.manager.addPersistentPeer({ host: '127.0.0.1', port: a!.port, name: 'node1' });
  a!.manager.start();
  b!.manager.start();
  await waitFor(() => fullMesh([a!, b!]), 5_000, 'a connection');

  class NotAdmitted extends Error {}
  const seen: number[] = [];
  const dropped = a!.manager.setAdmission((peer, issuers) => {
    seen.push(issuers.length);
    return peer.name === 'node2' ? new NotAdmitted(`${peer.name} is suspended`) : undefined;
  });
  assert.deepEqual(dropped.map((p) => p.name), ['node2']);
  assert.ok(seen.every((n) => n >= 1), 'the policy sees the operator CA above the peer');
  assert.ok(a!.logs.has('dropped a peer the registry does not admit', { peer: 'node2' }));
  // node2 keeps dialling; every new connection is refused while the policy stands.
  await sleep(1500);
  assert.equal(a!.manager.connections().length, 0);
  assert.equal(a!.manager.metrics().revokedDrops, 0, 'not admitted is not revoked');

  a!.manager.setAdmission(undefined);
  await waitFor(() => fullMesh([a!, b!]), 15_000, 'node2 back once the policy is lifted');
});
