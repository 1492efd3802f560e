// Bad peers against a running city node. A peer with a revoked, an expired or a foreign-root
// certificate is refused at the TLS handshake (it never receives a byte of the node's protocol).
// A peer with a valid node certificate that sends 10,000 random and malformed frames is scored
// down, banned and dropped; the node does not crash and the chain goes on committing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { encode } from '../../src/codec/index.js';
import { generateCrl, issueLeaf, parseCertificatePem, revokeCertificate } from '../../src/pki/index.js';
import { CHANNEL, PROTOCOL_VERSION, encodeControl, encodeEnvelope, encodeSync } from '../../src/p2p/messages.js';
import { makeTestPki, type TestPki } from '../support/network-pki.js';
import { Prng } from '../sim/prng.js';
import { CHAIN, Devnet, LoadGenerator, metricValue, NodeProcess, sleep, waitFor } from './harness.js';

interface Identity {
  readonly certChainPem: string;
  readonly keyPem: string;
}

let net: Devnet;
let foreign: TestPki | undefined;
let load: LoadGenerator | undefined;
const ids: Record<'mallory' | 'revoked' | 'expired' | 'foreign' | 'user', Identity> = {} as never;

/** Issues extra leaves with the devnet's operator CAs (and a foreign PKI), before the nodes start. */
async function issueIdentities(dir: string): Promise<void> {
  const pki = path.join(dir, 'pki');
  const secret = { passphrase: readFileSync(path.join(pki, 'passphrase.txt'), 'utf8').trim() };
  const issue = async (name: string, op: 'op1' | 'op2', kind: 'node' | 'user' = 'node', extra: { now?: Date; days?: number } = {}) => {
    const out = path.join(dir, 'extra', name);
    const { certificate } = await issueLeaf({ caDir: path.join(pki, op), out, kind, name, sans: kind === 'node' ? ['127.0.0.1'] : undefined, secret, ...extra });
    const certPem = readFileSync(path.join(out, 'cert.pem'), 'utf8');
    return { identity: { certChainPem: certPem + readFileSync(path.join(pki, op, 'ca.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') }, certificate };
  };
  ids.mallory = (await issue('mallory', 'op1')).identity;
  const revoked = await issue('revoked-node', 'op2');
  await revokeCertificate({ caDir: path.join(pki, 'op2'), cert: revoked.certificate, secret, reason: 'keyCompromise' });
  // The nodes read the CRLs at start: regenerate op2's before they start.
  await generateCrl({ caDir: path.join(pki, 'op2'), out: path.join(pki, 'op2', 'crl.pem'), secret, days: 365 });
  ids.revoked = revoked.identity;
  ids.expired = (await issue('expired-node', 'op1', 'node', { now: new Date(Date.now() - 10 * 86_400_000), days: 1 })).identity;
  ids.user = (await issue('alice', 'op1', 'user')).identity;
  foreign = await makeTestPki('ecdsa-p256', 'Foreign');
  const stranger = await foreign.issue('node1');
  ids.foreign = { certChainPem: stranger.certChainPem, keyPem: stranger.keyPem };
}

before(async () => {
  net = await Devnet.create({ slot: 4, label: 'bad-peers', beforeStart: (layout) => issueIdentities(layout.dir) });
});
after(async () => {
  await load?.stop();
  await net?.cleanup();
  foreign?.cleanup();
});

/** Connects with `identity` (not checking the node's certificate: the node's verdict is under test). */
function open(node: NodeProcess, identity: Identity): TLSSocket {
  const socket = connect({ host: '127.0.0.1', port: node.info.p2pPort, cert: identity.certChainPem, key: identity.keyPem, rejectUnauthorized: false });
  socket.on('error', () => undefined);
  return socket;
}

/** What the node did with a connection: did it ever speak its protocol to us, and did it close? */
async function attempt(node: NodeProcess, identity: Identity, watchMs: number): Promise<{ bytes: number; closed: boolean }> {
  const socket = open(node, identity);
  let bytes = 0;
  let closed = false;
  socket.on('data', (d: Buffer) => (bytes += d.length));
  socket.once('close', () => (closed = true));
  const until = Date.now() + watchMs;
  while (!closed && Date.now() < until) await sleep(25);
  socket.destroy();
  return { bytes, closed };
}

test('revoked, expired and foreign-root certificates are refused at the TLS handshake', { timeout: 30_000 }, () =>
  net.guard(async () => {
    const [n1] = net.four;
    // Control: a valid node certificate gets the node's hello.
    const ok = await attempt(n1, ids.mallory, 1500);
    assert.ok(ok.bytes > 0 && !ok.closed, `a valid node certificate is accepted (got ${ok.bytes} bytes, closed ${ok.closed})`);

    const verdicts: Record<string, RegExp> = { revoked: /CERT_REVOKED|revoked/i, expired: /CERT_HAS_EXPIRED|expired/i, foreign: /UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_GET_CRL|issuer/i };
    const refusals = () => n1.logLines().filter((l) => l.msg === 'peer refused at the TLS handshake');
    for (const [name, verdict] of Object.entries(verdicts)) {
      const before = refusals().length;
      const result = await attempt(n1, ids[name as keyof typeof ids], 5000);
      assert.equal(result.bytes, 0, `${name}: the node sent ${result.bytes} bytes of its protocol`);
      assert.ok(result.closed, `${name}: the node did not close the connection within 5 s`);
      // The attempts are one at a time, so the next refusal logged is this one's.
      const line = await waitFor(() => refusals()[before], { timeoutMs: 3000, message: () => `${name}: no 'peer refused at the TLS handshake' line in node1's log` });
      assert.match(String(line.error), verdict, `${name}: the node's verdict`);
    }
    // A user certificate of the right network passes TLS but is no city node: dropped at once.
    const user = await attempt(n1, ids.user, 3000);
    assert.ok(user.closed && user.bytes === 0, `a user certificate never becomes a peer (bytes ${user.bytes}, closed ${user.closed})`);
    const status = await n1.status();
    assert.deepEqual(status?.peers.sort(), ['node2', 'node3', 'node4']);
  }),
);

/** A stream of frames, some random, some crafted to hit each decoder and check of the node. */
class Garbage {
  constructor(
    private readonly random: Prng,
    private readonly networkId: string,
  ) {}

  bytes(max: number): Buffer {
    const n = 1 + this.random.int(max);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.random.int(256);
    return out;
  }

  frame(channel: number, payload: Uint8Array): Buffer {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(payload.length + 1, 0);
    head[4] = channel;
    return Buffer.concat([head, payload]);
  }

  hello(height = 0): Buffer {
    return this.frame(CHANNEL.control, encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: this.networkId, chains: [{ chainId: CHAIN, height }] }));
  }

  /**
   * Random but not an offence: unknown channels and chains, lies about height. (Junk transactions
   * for a hosted chain are an offence since review finding M13: they are among the invalid ones.)
   */
  harmless(): Buffer {
    switch (this.random.int(5)) {
      case 0:
        return this.frame(4 + this.random.int(252), this.bytes(300));
      case 1:
        return this.frame(CHANNEL.transactions, encodeEnvelope(`chain-${this.random.int(1000)}`, this.bytes(400)));
      case 2:
        return this.frame(CHANNEL.consensus, encodeEnvelope(`chain-${this.random.int(1000)}`, this.bytes(100)));
      case 3:
        return this.frame(CHANNEL.sync, encodeEnvelope(CHAIN, encodeSync({ type: 'status', height: this.random.int(2 ** 31) })));
      default:
        return this.frame(CHANNEL.sync, encodeEnvelope(CHAIN, encodeSync({ type: 'statusRequest' })));
    }
  }

  /** Well framed but malformed or invalid inside: each one an offence the node must score. */
  invalidMessage(): Buffer {
    return this.malformed(this.random.int(10));
  }

  /** Broken framing: the connection cannot go on after one of these. */
  brokenFrame(): Buffer {
    return this.malformed(10 + this.random.int(3));
  }

  private malformed(kind: number): Buffer {
    const r = this.random;
    switch (kind) {
      case 0:
        return this.frame(CHANNEL.control, this.bytes(200)); // undecodable control
      case 1:
        return this.hello(); // a second hello
      case 2:
        return this.frame(1 + r.int(3), this.bytes(200)); // chain channel, no envelope
      case 3:
        return this.frame(CHANNEL.consensus, encodeEnvelope(CHAIN, this.bytes(300))); // junk consensus body
      case 4: // a well-formed vote by no validator, bad signature
        return this.frame(CHANNEL.consensus, encodeEnvelope(CHAIN, encode([2 + r.int(2), 1 + r.int(50), r.int(3), r.chance(0.3) ? null : new Uint8Array(32).fill(r.int(256)), new Uint8Array(20).fill(7), this.bytes(64)])));
      case 5: // a well-formed proposal for a far-future height
        return this.frame(CHANNEL.consensus, encodeEnvelope(CHAIN, encode([1, 1_000_000 + r.int(1000), 0, -1, this.bytes(100), new Uint8Array(32).fill(1), new Uint8Array(20).fill(9), this.bytes(64)])));
      case 6: // junk sync, or a junk transaction for the hosted chain (an offence since M13)
        return r.chance(0.5) ? this.frame(CHANNEL.sync, encodeEnvelope(CHAIN, this.bytes(100))) : this.frame(CHANNEL.transactions, encodeEnvelope(CHAIN, this.bytes(400)));
      case 7:
        return this.frame(CHANNEL.sync, encodeEnvelope(CHAIN, encodeSync({ type: 'getBlocks', requestId: r.int(1000), from: 0, count: 1_000_000 })));
      case 8: // valid CBOR, not a consensus message: an unknown message tag
        return this.frame(CHANNEL.consensus, encodeEnvelope(CHAIN, encode([4 + r.int(100), 1, 0])));
      case 9: // a proposal with a validRound below -1
        return this.frame(CHANNEL.consensus, encodeEnvelope(CHAIN, encode([1, 1, 0, -2 - r.int(100), this.bytes(10), new Uint8Array(32), new Uint8Array(20), this.bytes(64)])));
      case 10: // zero-length frame
        return Buffer.alloc(4);
      case 11: // a length far over the limit
        return Buffer.from([0xff, 0xff, 0xff, 0xf0, 0x01]);
      default: // a truncated frame: what follows is read as its rest
        return this.frame(CHANNEL.control, this.bytes(50)).subarray(0, 3 + r.int(20));
    }
  }
}

function drainOrClose(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, 2000);
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** Writes `frames` on one connection until they are all written or the node closes it; returns how many went out. */
async function flood(node: NodeProcess, identity: Identity, frames: Buffer[]): Promise<{ written: number; got: number; closed: boolean }> {
  const socket = open(node, identity);
  let closed = false;
  let got = 0;
  socket.once('close', () => (closed = true));
  socket.on('data', (d: Buffer) => (got += d.length));
  await waitFor(() => closed || socket.writable, { timeoutMs: 5000, message: () => 'the TLS connection to open' });
  let written = 0;
  for (const f of frames) {
    if (closed || socket.destroyed) break;
    if (!socket.write(f)) await drainOrClose(socket);
    written++;
  }
  // Give the node time to read what was sent (and to drop us), then hang up ourselves.
  const until = Date.now() + 1500;
  while (!closed && Date.now() < until) await sleep(25);
  socket.destroy();
  return { written, got, closed };
}

test('a peer with a valid certificate sending 10,000 random and malformed frames is dropped; the chain goes on', { timeout: 45_000 }, () =>
  net.guard(async () => {
    const [n1, n2, n3, n4] = net.four;
    const networkId = parseCertificatePem(readFileSync(path.join(net.pki, 'root', 'ca.pem'), 'utf8')).fingerprint;
    const garbage = new Garbage(new Prng(4), networkId);
    load = new LoadGenerator(net, { senders: 24, txsPerSender: 400, seed: 4 });
    load.start();
    await load.waitAcks(30, 15_000);
    const startHeight = await net.maxHeight();

    // 1. A proper hello, then 6,000 random frames the node must shrug off (unknown channels and
    //    chains, junk transactions, lies about its height): the node reads them all and keeps us.
    const harmless = [garbage.hello(), ...Array.from({ length: 6000 }, () => garbage.harmless())];
    const first = await flood(n1, ids.mallory, harmless);
    assert.equal(first.written, harmless.length, 'the node read the whole harmless burst');

    // 2. 4,000 malformed frames, reconnecting whenever the node drops us: first messages that
    //    decode wrong or fail validation (each scored), then, once banned, broken framing too.
    let sent = first.written - 1;
    let connections = 1;
    const floodUntil = Date.now() + 15_000;
    while (sent < 10_000 && Date.now() < floodUntil) {
      const n = Math.min(500, 10_000 - sent);
      const burst = [garbage.hello(), ...Array.from({ length: n }, (_, i) => (connections > 2 && i % 3 === 0 ? garbage.brokenFrame() : garbage.invalidMessage()))];
      const result = await flood(n1, ids.mallory, burst);
      sent += Math.max(0, result.written - 1);
      connections++;
    }
    assert.ok(sent >= 10_000, `sent ${sent} frames in 15 s`);

    // The node is alive, says why it dropped the peer, and no longer counts it among its peers.
    const health = await fetch(`${n1.url}/health`, { signal: AbortSignal.timeout(3000) });
    assert.equal(health.status, 200);
    const lines = n1.logLines().filter((l) => l.peer === 'mallory');
    const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
    assert.ok(count('peer scored down') > 0, 'node1 logged the peer scored down');
    assert.ok(count('peer banned') > 0, 'node1 logged the peer banned');
    assert.ok(count('refused a banned peer') > 0, 'node1 refused the banned peer when it came back');
    assert.ok(!(await n1.status())?.peers.includes('mallory'), 'mallory is not a peer of node1');
    // The same verdicts are visible to an operator's Prometheus.
    const metrics = await (await fetch(`${n1.url}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    assert.ok(metricValue(metrics, 'bsn_p2p_bans') >= 1, 'bsn_p2p_bans counts the ban');
    assert.ok(metricValue(metrics, 'bsn_p2p_refused_connections') >= 1, 'bsn_p2p_refused_connections counts the refusals');
    // Everything mallory sent was judged as the peer's fault, never as the node's own failure.
    const ownFault = n1.logLines().filter((l) => l.msg === 'a chain handler failed on a peer message' || l.msg === 'chain event failed');
    assert.deepEqual(ownFault.map((l) => l.error ?? l.err), [], 'a peer message made a handler of node1 fail (and went unscored)');

    // The chain went on, with node1 in it.
    await load.waitAcks(30, 15_000);
    const endHeight = await net.maxHeight();
    assert.ok(endHeight >= startHeight + 5, `the chain committed during and after the flood (${startHeight} → ${endHeight})`);
    await net.waitHeight([n1], endHeight, 10_000, 'node1 to keep up with the chain after the flood');
    assert.deepEqual(net.nodes.flatMap((n) => n.unexpectedExits), []);
    await load.stop();
    const height = await net.waitSettled([n1, n2, n3, n4], 20_000);
    await net.assertIdenticalBlocks(net.nodes, height);
    const reasons = [...new Set(lines.filter((l) => l.msg === 'peer scored down').map((l) => `${String(l.offence)}/${String(l.code)}`))];
    process.stdout.write(
      `# bad-peers: ${sent} frames over ${connections} connections; node1 scored mallory down ${count('peer scored down')} times (${reasons.join(', ')}), ` +
        `banned ${count('peer banned')}x, refused ${count('refused a banned peer')}x; chain ${startHeight} → ${height}\n`,
    );
  }),
);
