import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getSuite } from '../crypto/index.js';
import { BsnError } from '../errors.js';
import { parseNodeConfig } from './config.js';
import { parseGenesis } from './genesis.js';
import { GenesisError, NodeConfigError } from './errors.js';

const minimal = {
  name: 'node1',
  dataDir: 'data',
  network: { rootCert: '../pki/root/ca.pem', crls: ['../pki/root/crl.pem'] },
  tls: { cert: 'tls/cert.pem', chain: ['../pki/op1/ca.pem'], key: 'tls/key.pem' },
  p2p: { listen: '127.0.0.1:27000' },
  http: { listen: '127.0.0.1:27001' },
};

test('a minimal config gets its defaults and paths relative to the config file', () => {
  const config = parseNodeConfig(JSON.stringify(minimal), '/srv/bsn/node1');
  assert.equal(config.dataDir, '/srv/bsn/node1/data');
  assert.equal(config.network.rootCert, '/srv/bsn/pki/root/ca.pem');
  assert.deepEqual(config.p2p.peers, []);
  assert.equal(config.consensus.emptyBlocksIntervalMs, 0);
  assert.equal(config.log.level, 'info');
});

test('every problem of a bad config is named with its path in one NodeConfigError', () => {
  const bad = { ...minimal, p2p: { listen: 'nowhere', peers: [{ host: '', port: 70000 }] }, extra: 1 };
  const err = (() => {
    try {
      parseNodeConfig(JSON.stringify(bad), '/x');
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof NodeConfigError);
  assert.match(err.message, /p2p\.listen: expected host:port/);
  assert.match(err.message, /p2p\.peers\.0\.port/);
  assert.match(err.message, /extra/);
  assert.throws(() => parseNodeConfig('{not json', '/x'), NodeConfigError);
});

test('random JSON never gets past the config or genesis validators with anything but a typed error', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      for (const parse of [(t: string) => parseNodeConfig(t, '/x'), (t: string) => parseGenesis(t)]) {
        try {
          parse(JSON.stringify(value));
        } catch (err) {
          assert.ok(err instanceof BsnError, String(err));
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('a genesis validates its validators: key format, duplicates, and the chain id', () => {
  const suite = getSuite('ecdsa-p256');
  const key = Buffer.from(suite.generateKeyPair().publicKey.bytes).toString('hex');
  const base = { chainId: 'demo', suite: 'ecdsa-p256', app: 'kv', time: 0, validators: [{ name: 'a', publicKey: key, power: 1 }] };
  const g = parseGenesis(JSON.stringify(base));
  assert.equal(g.validators.size, 1);
  assert.throws(() => parseGenesis(JSON.stringify({ ...base, validators: [{ name: 'a', publicKey: '05' + '11'.repeat(32), power: 1 }] })), GenesisError);
  assert.throws(() => parseGenesis(JSON.stringify({ ...base, validators: [base.validators[0], { ...base.validators[0], name: 'b' }] })), /listed twice/);
  assert.throws(() => parseGenesis(JSON.stringify({ ...base, chainId: 'Demo Chain' })), GenesisError);
  assert.throws(() => parseGenesis(JSON.stringify({ ...base, validators: [] })), GenesisError);
});

test('M11/H4/H6: peer pins, p2p caps and CRL reload fields parse with their defaults; a malformed fingerprint pin is refused with its path', () => {
  const base = { name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'k' } };
  const config = parseNodeConfig(JSON.stringify({ ...base, p2p: { listen: '127.0.0.1:1', peers: [{ host: 'h', port: 1, fingerprint: 'ab'.repeat(32), operator: 'CN=Op' }] } }), '/tmp');
  assert.equal(config.p2p.peers[0]!.fingerprint, 'ab'.repeat(32));
  assert.equal(config.p2p.maxQueuedBytes, 16 * 1024 * 1024);
  assert.equal(config.p2p.maxInboundPerIp, 32);
  assert.equal(config.network.crlReloadIntervalMs, 60_000);
  assert.equal(config.network.crlWatch, true);
  assert.equal(config.network.crlExpiryWarningHours, 48);
  assert.equal(config.mempool.maxVerifyQueue, 20_000);
  assert.equal(config.mempool.maxInFlight, 4096);
  assert.throws(
    () => parseNodeConfig(JSON.stringify({ ...base, p2p: { listen: '127.0.0.1:1', peers: [{ host: 'h', port: 1, fingerprint: 'not-hex' }] } }), '/tmp'),
    (err: Error & { code?: string }) => err.code === 'NODE_CONFIG_INVALID' && err.message.includes('p2p.peers.0.fingerprint'),
  );
});
