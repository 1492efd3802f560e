import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devnetStatus, gatewayUrl, initDevnet } from '../../src/network/devnet.js';
import { loadNodeConfig } from '../../src/node/index.js';

/*
 * M5 / L1 in `bsn up`: plain HTTP on loopback by default; with gatewayTls each gateway gets a
 * certificate of its node's operator CA and serves HTTPS, and every gateway trusts the users of
 * both operators. `bsn status` says which.
 */

test('bsn up: gateway TLS on request, every operator CA trusted', { timeout: 60_000 }, async (t) => {
  const base = mkdtempSync(path.join(tmpdir(), 'bsn-devnet-tls-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const tls = await initDevnet(path.join(base, 'tls'), 29_100, () => undefined, { gatewayTls: true });
  assert.equal(tls.gatewayTls, true);
  const node1 = tls.nodes[0]!;
  assert.match(gatewayUrl(tls, node1)!, /^https:\/\/127\.0\.0\.1:/);
  const config = loadNodeConfig(path.join(tls.dir, node1.name, 'node.json'));
  assert.ok(config.gateway?.tls, 'gateway.tls is set');
  assert.deepEqual(config.gateway.operatorCas.map((f) => path.basename(path.dirname(f))).sort(), ['op1', 'op2']);

  // The certificate serves TLS that a client trusting only the network root accepts.
  const cert = readFileSync(config.gateway.tls.cert, 'utf8') + readFileSync(config.tls.chain[0]!, 'utf8');
  const server = https.createServer({ cert, key: readFileSync(config.gateway.tls.key, 'utf8') }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const body = await new Promise<string>((resolve, reject) => {
    https.get(`https://127.0.0.1:${port}/`, { ca: readFileSync(path.join(tls.dir, 'pki', 'root', 'ca.pem'), 'utf8') }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  assert.equal(body, 'ok');

  const status = await devnetStatus(tls);
  assert.equal(status[0]!.gatewayTls, true);
  assert.match(status[0]!.gateway!, /^https:/);

  const plain = await initDevnet(path.join(base, 'plain'), 29_200, () => undefined);
  assert.equal(plain.gatewayTls, undefined);
  assert.match(gatewayUrl(plain, plain.nodes[0]!)!, /^http:\/\/127\.0\.0\.1:/);
  assert.equal(loadNodeConfig(path.join(plain.dir, 'node1', 'node.json')).gateway?.tls, undefined);
  assert.equal((await devnetStatus(plain))[0]!.gatewayTls, false);
});
