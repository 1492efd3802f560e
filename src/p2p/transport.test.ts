import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { once } from 'node:events';
import { makeTestPki } from '../../test/support/network-pki.js';
import { Transport } from './transport.js';
import type { PeerConnection } from './connection.js';
import { FrameTooLargeError, PeerCertificateRejectedError, PeerIdentityError, PeerRevokedError } from './errors.js';

async function pair(t: { after: (fn: () => unknown) => void }) {
  const pki = await makeTestPki();
  t.after(() => pki.cleanup());
  const crlPems = await pki.crls();
  const a = await pki.issue('node1');
  const b = await pki.issue('node2');
  const server = new Transport({ ...a, rootPem: pki.rootPem, crlPems, maxFrameBytes: 1024 });
  const address = await server.listen(0);
  t.after(() => server.close());
  return { pki, crlPems, server, port: address.port, clientIdentity: b };
}

test('two city nodes connect over mutual TLS 1.3 and exchange frames both ways', async (t) => {
  const { pki, crlPems, server, port, clientIdentity } = await pair(t);
  const client = new Transport({ ...clientIdentity, rootPem: pki.rootPem, crlPems });
  t.after(() => client.close());
  const accepted = once(server, 'connection') as Promise<[PeerConnection]>;
  const outbound = await client.dial('127.0.0.1', port);
  const [inbound] = await accepted;
  assert.equal(outbound.peer.name, 'node1');
  assert.equal(inbound.peer.name, 'node2');
  const got = once(inbound, 'frame');
  outbound.send(7, new TextEncoder().encode('prevote'));
  const [frame] = await got;
  assert.equal(frame.channel, 7);
  assert.equal(new TextDecoder().decode(frame.payload), 'prevote');
  const back = once(outbound, 'frame');
  inbound.send(9, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...(await back)[0].payload], [1, 2, 3]);
});

test('revoked, expired, foreign-root and non-node certificates get no connection', async (t) => {
  const { pki, port, server } = await pair(t);
  const rejected: string[] = [];
  server.on('rejected', (_remote, reason) => rejected.push(reason.message));

  const revoked = await pki.issue('node3');
  await pki.revoke(revoked.certPem);
  const expired = await pki.issue('node4', 'node', { now: new Date(Date.now() - 10 * 86_400_000), days: 1 });
  const user = await pki.issue('alice', 'user');
  const foreign = await makeTestPki('ecdsa-p256', 'Foreign');
  t.after(() => foreign.cleanup());
  const stranger = await foreign.issue('node1');
  const freshCrls = await pki.crls();

  // The server learns of the revocation from its CRLs; restart it with the fresh ones.
  await server.close();
  const a = await pki.issue('node1b');
  const strict = new Transport({ ...a, rootPem: pki.rootPem, crlPems: freshCrls });
  const { port: strictPort } = await strict.listen(0);
  t.after(() => strict.close());
  const strictRejected: Error[] = [];
  strict.on('rejected', (_r, reason) => strictRejected.push(reason));

  const tryDial = async (identity: { certChainPem: string; keyPem: string }, rootPem = pki.rootPem, crlPems = freshCrls) => {
    const client = new Transport({ ...identity, rootPem, crlPems });
    try {
      const conn = await client.dial('127.0.0.1', strictPort);
      // TLS 1.3 lets the client finish before the server has judged its certificate: the
      // server's verdict arrives as an immediate close.
      await once(conn, 'close');
      return 'closed by server';
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    } finally {
      await client.close();
    }
  };
  assert.match(await tryDial(revoked), /refused|closed by server/);
  assert.match(await tryDial(expired), /refused|closed by server/);
  // The stranger trusts our root too, so it is our server, not the stranger, that refuses.
  assert.match(await tryDial(stranger, foreign.rootPem + pki.rootPem, [...(await foreign.crls()), ...freshCrls]), /refused|closed by server/);
  assert.match(await tryDial(user), /refused|closed by server/);
  const reasons = strictRejected.map((e) => `${(e as { code?: string }).code ?? ''} ${e.message}`).join('\n');
  // Revocation is judged right after the handshake (RevocationCheck), OpenSSL judges the rest.
  assert.match(reasons, /P2P_PEER_REVOKED/);
  assert.ok(strictRejected.some((e) => e instanceof PeerRevokedError), reasons);
  assert.match(reasons, /CERT_HAS_EXPIRED/);
  assert.match(reasons, /UNABLE_TO_GET_ISSUER_CERT/);
  assert.equal(strictRejected.filter((e) => e instanceof PeerCertificateRejectedError).length, 2, reasons);
  assert.ok(strictRejected.some((e) => e instanceof PeerIdentityError), reasons);
  assert.equal(rejected.length, 0, 'the first server was closed before any attempt');
  void port;
});

test('a certified peer that sends 10,000 malformed frames is dropped; the node goes on', async (t) => {
  const { pki, crlPems, server, port, clientIdentity } = await pair(t);
  const closes: (Error | undefined)[] = [];
  server.on('connection', (conn) => conn.on('close', (reason) => closes.push(reason)));

  for (let attempt = 0; attempt < 3; attempt++) {
    const socket = connect({ host: '127.0.0.1', port, cert: clientIdentity.certChainPem, key: clientIdentity.keyPem, ca: pki.rootPem });
    socket.on('error', () => undefined);
    await once(socket, 'secureConnect');
    const garbage = Buffer.alloc(10_000 * 8);
    for (let i = 0; i < 10_000; i++) garbage.writeUInt32BE(0xfff0_0000 + i, i * 8);
    socket.write(garbage);
    await new Promise((resolve) => socket.once('close', resolve));
  }
  assert.equal(closes.length, 3);
  for (const reason of closes) assert.ok(reason instanceof FrameTooLargeError, String(reason));

  // A well-behaved peer still gets through afterwards.
  const client = new Transport({ ...clientIdentity, rootPem: pki.rootPem, crlPems });
  t.after(() => client.close());
  const conn = await client.dial('127.0.0.1', port);
  assert.ok(conn.isOpen);
});
