import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNodeConfig } from '../../src/node/index.js';
import { DEFAULT_TRAFFIC_LIMITS, trafficLimits } from '../../src/gateway/traffic/limits.js';

/* The gateway section's new fields: limits, auth, TLS, operator CAs, identity (docs/gateway*.md). */

const base = { name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'k' }, p2p: { listen: '127.0.0.1:1' }, http: { listen: '127.0.0.1:2' } };
const parse = (gateway: Record<string, unknown>) => parseNodeConfig(JSON.stringify({ ...base, gateway: { listen: '127.0.0.1:3', ...gateway } }), '/base');

test('the node config takes the gateway limits, auth, TLS and operator CAs, and refuses bad ones', () => {
  const config = parse({
    id: 'gw.example',
    tls: { cert: 'gw/cert.pem', key: 'gw/key.pem' },
    operatorCas: ['../pki/op2/ca.pem'],
    auth: { futureSkewMs: 10_000, noncesPerCertificate: 500 },
    limits: { perIp: { requestsPerSecond: 50 }, authenticatedShare: 0.8, requestTimeoutMs: 5000, ws: { maxSockets: 10 } },
  });
  assert.equal(config.gateway?.id, 'gw.example');
  assert.deepEqual(config.gateway?.tls, { cert: '/base/gw/cert.pem', key: '/base/gw/key.pem' });
  assert.deepEqual(config.gateway?.operatorCas, ['/pki/op2/ca.pem']);
  const limits = trafficLimits(config.gateway?.limits);
  assert.deepEqual(limits.perIp, { ...DEFAULT_TRAFFIC_LIMITS.perIp, requestsPerSecond: 50 });
  assert.equal(limits.authenticatedShare, 0.8);
  assert.equal(limits.requestTimeoutMs, 5000);
  assert.equal(limits.ws.maxSockets, 10);
  assert.equal(limits.ws.pingIntervalMs, DEFAULT_TRAFFIC_LIMITS.ws.pingIntervalMs);
  assert.deepEqual(trafficLimits(undefined), DEFAULT_TRAFFIC_LIMITS);
  assert.deepEqual(parse({}).gateway?.operatorCas, []);
  for (const bad of [{ limits: { authenticatedShare: 1.5 } }, { limits: { perIp: { burst: 0 } } }, { limits: { ws: { maxBufferedBytes: 10 } } }, { limits: { requestTimeout: 1 } }, { auth: { futureSkewMs: -1 } }, { tls: { cert: 'c' } }, { id: '' }]) {
    assert.throws(() => parse(bad), (err: Error & { code?: string }) => err.code === 'NODE_CONFIG_INVALID', JSON.stringify(bad));
  }
});
