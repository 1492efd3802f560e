import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaP256 } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { CHANNEL, PROTOCOL_VERSION, Transport } from '../../src/p2p/index.js';
import { encodeControl, encodeEnvelope } from '../../src/p2p/messages.js';
import { parseCertificatePem } from '../../src/pki/index.js';
import { splitHostPort } from '../../src/node/config.js';
import { startSingleNode } from '../support/single-node.js';

const te = new TextEncoder();
const waitFor = async (predicate: () => boolean, ms: number, what: string) => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('M13: a gossiped tx with a bad signature or that is malformed costs the peer score; a stale one (nonce taken) does not', async (t) => {
  const { node, pki, stop } = await startSingleNode(['kv1']);
  t.after(stop);
  const peer = await pki.issue('node9');
  const fingerprint = parseCertificatePem(peer.certPem).fingerprint;
  const transport = new Transport({ certChainPem: peer.certChainPem, keyPem: peer.keyPem, rootPem: pki.rootPem, crlPems: await pki.crls() });
  t.after(() => transport.close());
  const { host, port } = splitHostPort(node.p2pAddress);
  const conn = await transport.dial(host, port);
  conn.send(CHANNEL.control, encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: parseCertificatePem(pki.rootPem).fingerprint, chains: [{ chainId: 'kv1', height: 0 }] }));
  await waitFor(() => node.router.peersHosting('kv1').length === 1, 3_000, 'the hello');
  const gossip = (tx: Uint8Array) => conn.send(CHANNEL.transactions, encodeEnvelope('kv1', tx));
  let counts = new Map<string, number>();
  const rejected = (code: string) => counts.get(code) ?? 0;
  const poll = setInterval(() => {
    void node.metrics.txRejected.get().then((m) => (counts = new Map(m.values.map((v) => [String(v.labels.code), v.value]))));
  }, 10);
  t.after(() => clearInterval(poll));

  const key = ecdsaP256.generateKeyPair().privateKey;
  const put = (nonce: number, value: string) => buildKvTx({ chainId: 'kv1', privateKey: key, nonce, ops: [{ type: 'put', key: te.encode('k'), value: te.encode(value) }] });
  // Two txs with the same nonce: the second is merely late (the first took the nonce), not a lie.
  await node.submit('kv1', put(5, 'first'));
  gossip(put(5, 'second'));
  await waitFor(() => rejected('MEMPOOL_NONCE_TAKEN') === 1, 3_000, 'the nonce-taken refusal');
  assert.equal(Math.round(node.peers.score(fingerprint)), 100, 'a stale tx costs nothing');

  const forged = Uint8Array.from(put(6, 'x'));
  forged[forged.length - 3]! ^= 0x40;
  gossip(forged);
  await waitFor(() => rejected('MEMPOOL_BAD_SIGNATURE') === 1, 3_000, 'the bad-signature refusal');
  assert.ok(node.peers.score(fingerprint) <= 61, `a forged tx costs score (${node.peers.score(fingerprint)})`);

  gossip(Uint8Array.of(1, 2, 3));
  await waitFor(() => rejected('MEMPOOL_MALFORMED') === 1, 3_000, 'the malformed refusal');
  assert.ok(node.peers.score(fingerprint) <= 21, `a malformed tx costs score (${node.peers.score(fingerprint)})`);
  gossip(Uint8Array.of(4, 5, 6));
  await waitFor(() => node.peers.isBanned(fingerprint), 3_000, 'a peer streaming invalid txs to be banned');
});
