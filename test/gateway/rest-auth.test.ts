import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import Fastify from 'fastify';
import { issueLeaf, readPrivateKeyPem } from '../../src/pki/index.js';
import { AuthError, authenticate, keepRawBody, RequestAuthenticator, signRequest, AUTH_HEADERS } from '../../src/gateway/rest/index.js';
import { makeTestPki, type TestPki } from '../support/network-pki.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
const GW = 'gw1';

/** A user certificate bound to `app` (TestPki.issue makes unbound ones). */
async function issueUser(pki: TestPki, name: string, app: string | undefined, options: { now?: Date; days?: number } = {}) {
  const out = path.join(pki.dir, `user-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'user', name, ...(app && { app }), secret: { passphrase: PASSPHRASE }, ...options });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

interface Caller {
  certPem: string;
  keyPem: string;
}

test('REST request authentication', { timeout: 120_000 }, async (t) => {
  const pki = await makeTestPki('ecdsa-p256');
  const foreign = await makeTestPki('ecdsa-p256', 'Other');
  t.after(() => {
    pki.cleanup();
    foreign.cleanup();
  });
  let now = Date.now();
  const authenticator = new RequestAuthenticator({ gateway: GW, startedAt: 0,
    rootPem: pki.rootPem,
    intermediatePems: [pki.operatorPem],
    crlPems: await pki.crls(),
    clock: () => now,
    nonceCapacity: 1000,
  });
  const alice = await issueUser(pki, 'alice', 'demo');
  const bob = await issueUser(pki, 'bob', 'other');
  const node = await pki.issue('node1', 'node');
  const expired = await issueUser(pki, 'old', 'demo', { now: new Date(Date.now() - 3 * 86_400_000), days: 1 });
  const stranger = await issueUser(foreign, 'eve', 'demo');

  const app = Fastify();
  await app.register(async (scope) => {
    keepRawBody(scope);
    scope.post('/apps/:appId/echo', { preHandler: authenticate(authenticator, { appIdParam: 'appId' }) }, async (request) => ({
      identity: request.identity,
      suite: request.authSuite,
      body: request.body,
    }));
    scope.get('/apps/:appId/info', { preHandler: authenticate(authenticator, { appIdParam: 'appId' }) }, async (request) => ({ identity: request.identity }));
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());

  const send = async (caller: Caller, options: { method?: string; path?: string; signedPath?: string; body?: string; signedBody?: string; appId?: string; at?: number; nonce?: Uint8Array; headers?: Record<string, string>; gateway?: string } = {}) => {
    const method = options.method ?? 'POST';
    const reqPath = options.path ?? '/apps/demo/echo?x=1';
    const body = method === 'GET' ? undefined : (options.body ?? '{"hello":"world"}');
    const headers = {
      ...signRequest({
        gateway: options.gateway ?? GW,
        method,
        path: options.signedPath ?? reqPath,
        body: options.signedBody ?? body,
        appId: options.appId ?? 'demo',
        certPem: caller.certPem,
        privateKey: readPrivateKeyPem(caller.keyPem),
        now: options.at ?? now,
        ...(options.nonce && { nonce: options.nonce }),
      }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    };
    const response = await fetch(base + reqPath, { method, headers, ...(body !== undefined && { body }) });
    return { status: response.status, json: (await response.json()) as { error?: { code: string; message: string }; identity?: Record<string, unknown>; suite?: string; body?: unknown } };
  };
  const expectError = async (promise: ReturnType<typeof send>, status: number, code: string, message?: RegExp) => {
    const { status: got, json } = await promise;
    assert.equal(got, status, JSON.stringify(json));
    assert.equal(json.error?.code, code);
    if (message) assert.match(json.error?.message ?? '', message);
  };

  await t.test('a valid request passes and exposes the identity', async () => {
    const { status, json } = await send(alice);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.identity?.role, 'user');
    assert.equal(json.identity?.app, 'demo');
    assert.match(String(json.identity?.subject), /CN=alice/);
    assert.match(String(json.identity?.fingerprint), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(json.suite, 'ecdsa-p256');
    assert.deepEqual(json.body, { hello: 'world' });
    const get = await send(alice, { method: 'GET', path: '/apps/demo/info' });
    assert.equal(get.status, 200, JSON.stringify(get.json));
  });

  await t.test('a known certificate can be named by its id', async () => {
    const headers = signRequest({ gateway: GW, method: 'GET', path: '/apps/demo/info', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now, certById: true });
    assert.equal(headers[AUTH_HEADERS.cert], undefined);
    const response = await fetch(`${base}/apps/demo/info`, { headers });
    assert.equal(response.status, 200);
    const unknown = { ...headers, [AUTH_HEADERS.certId]: 'ab'.repeat(32) };
    const again = await fetch(`${base}/apps/demo/info`, { headers: unknown });
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'AUTH_UNKNOWN_CERT');
  });

  await t.test('the governance registry: a certificate revoked on the chain, or of a suspended operator, is refused at once; lifted, it passes again', async () => {
    const { parseCertificatePem } = await import('../../src/pki/index.js');
    const aliceFp = parseCertificatePem(alice.certPem).fingerprint;
    const operatorFp = parseCertificatePem(pki.operatorPem).fingerprint;
    assert.equal((await send(alice, { nonce: new Uint8Array(16).fill(41) })).status, 200);
    authenticator.updateRegistry({ operatorCaPems: [pki.operatorPem], refusals: new Map([[aliceFp, 'was revoked on the governance chain at height 7 (keyCompromise)']]) });
    await expectError(send(alice, { nonce: new Uint8Array(16).fill(42) }), 401, 'AUTH_CERT_INVALID', /GOV_REFUSED.*height 7/);
    authenticator.updateRegistry({ operatorCaPems: [pki.operatorPem], refusals: new Map([[operatorFp, 'is the CA of operator op1, which is suspended']]) });
    await expectError(send(alice, { nonce: new Uint8Array(16).fill(43) }), 401, 'AUTH_CERT_INVALID', /suspended/);
    authenticator.updateRegistry({ operatorCaPems: [pki.operatorPem], refusals: new Map() });
    assert.equal((await send(alice, { nonce: new Uint8Array(16).fill(44) })).status, 200);
  });

  await t.test('tampering breaks the signature', async () => {
    await expectError(send(alice, { signedBody: '{"hello":"there"}' }), 401, 'AUTH_BAD_SIGNATURE');
    await expectError(send(alice, { signedPath: '/apps/demo/echo?x=2' }), 401, 'AUTH_BAD_SIGNATURE');
    await expectError(send(alice, { signedPath: '/apps/demo/echo' }), 401, 'AUTH_BAD_SIGNATURE');
    await expectError(send(alice, { appId: 'other' }), 401, 'AUTH_BAD_SIGNATURE');
    // Alice's signature with Bob's certificate: the key does not match.
    const signed = signRequest({ gateway: GW, method: 'POST', path: '/apps/demo/echo', body: '{}', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now });
    const forged = { ...signed, [AUTH_HEADERS.cert]: signRequest({ gateway: GW, method: 'GET', path: '/', appId: 'demo', certPem: bob.certPem, privateKey: bob.keyPem, now })[AUTH_HEADERS.cert] as string };
    const response = await fetch(`${base}/apps/demo/echo`, { method: 'POST', body: '{}', headers: { ...forged, 'content-type': 'application/json' } });
    assert.equal(response.status, 401);
  });

  await t.test('a certificate of another app, or a node certificate, is forbidden', async () => {
    await expectError(send(bob), 403, 'AUTH_FORBIDDEN', /not for app 'demo'/);
    await expectError(send(node), 403, 'AUTH_FORBIDDEN', /role 'node'/);
  });

  await t.test('timestamps outside the window are stale, both ways', async () => {
    await expectError(send(alice, { at: now - authenticator.windowMs - 1 }), 401, 'AUTH_STALE');
    await expectError(send(alice, { at: now + authenticator.windowMs + 1 }), 401, 'AUTH_STALE');
    const edge = await send(alice, { at: now - authenticator.windowMs });
    assert.equal(edge.status, 200);
  });

  await t.test('a replayed nonce is refused until it leaves the window', async () => {
    const nonce = new Uint8Array(16).fill(7);
    assert.equal((await send(alice, { nonce })).status, 200);
    await expectError(send(alice, { nonce }), 409, 'AUTH_REPLAY');
    // Same nonce, other certificate: nonces are per certificate.
    const other = await issueUser(pki, 'alice2', 'demo');
    assert.equal((await send(other, { nonce })).status, 200);
  });

  await t.test('certificate failures name the PKI check', async () => {
    await expectError(send(expired), 401, 'AUTH_CERT_INVALID', /PKI_EXPIRED/);
    await expectError(send(stranger), 401, 'AUTH_CERT_INVALID', /PKI_UNKNOWN_ROOT/);
    const carol = await issueUser(pki, 'carol', 'demo');
    assert.equal((await send(carol)).status, 200);
    await pki.revoke(carol.certPem);
    // Still cached under the old CRLs; the update takes effect at once.
    assert.equal((await send(carol)).status, 200);
    authenticator.updateCrls(await pki.crls());
    await expectError(send(carol), 401, 'AUTH_CERT_INVALID', /PKI_REVOKED/);
    assert.equal((await send(alice)).status, 200);
  });

  await t.test('missing and malformed headers', async () => {
    const response = await fetch(`${base}/apps/demo/info`);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'AUTH_MISSING');
    await expectError(send(alice, { headers: { [AUTH_HEADERS.signature]: '' } }), 401, 'AUTH_MISSING');
    await expectError(send(alice, { headers: { [AUTH_HEADERS.nonce]: 'abc' } }), 401, 'AUTH_MALFORMED');
    await expectError(send(alice, { headers: { [AUTH_HEADERS.timestamp]: '12.5' } }), 401, 'AUTH_MALFORMED');
    await expectError(send(alice, { headers: { [AUTH_HEADERS.cert]: 'AAAA' } }), 401, 'AUTH_MALFORMED');
    await expectError(send(alice, { headers: { [AUTH_HEADERS.signature]: 'not base64!' } }), 401, 'AUTH_MALFORMED');
  });

  await t.test('the nonce store is bounded and evicts by timestamp', async () => {
    const small = new RequestAuthenticator({ gateway: GW, startedAt: 0, rootPem: pki.rootPem, intermediatePems: [pki.operatorPem], clock: () => now, nonceCapacity: 2, windowMs: 1000 });
    const verify = (at: number) =>
      small.verify({ method: 'GET', path: '/x', appId: 'demo', headers: signRequest({ gateway: GW, method: 'GET', path: '/x', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now: at }) });
    verify(now);
    verify(now - 900);
    assert.throws(() => verify(now), (err: unknown) => err instanceof AuthError && err.code === 'AUTH_BUSY' && err.httpStatus === 503);
    now += 200; // the second nonce (timestamp now - 900) has left the window
    verify(now);
    assert.equal(small.nonceCount, 2);
  });

  await t.test('random header values only ever give a typed 4xx', async () => {
    const valid = signRequest({ gateway: GW, method: 'POST', path: '/apps/demo/echo', body: '{}', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now });
    const names = Object.keys(valid).concat(AUTH_HEADERS.certId);
    const value = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 140 }), fc.base64String({ maxLength: 200 }), fc.constantFrom(...Object.values(valid)));
    const headers = fc.dictionary(fc.constantFrom(...names), fc.option(value, { nil: undefined }));
    fc.assert(
      fc.property(headers, fc.string({ maxLength: 40 }), (extra, body) => {
        const merged = { ...valid, ...extra };
        try {
          authenticator.verify({ method: 'POST', path: '/apps/demo/echo', body, appId: 'demo', headers: merged });
        } catch (err) {
          assert.ok(err instanceof AuthError, String(err));
          assert.ok(err.httpStatus >= 400 && err.httpStatus < 500, err.code);
          return;
        }
        // Passing is possible only with the valid headers and the signed body, and then only once.
        assert.equal(body, '{}');
      }),
      { numRuns: 500 },
    );
    await fc.assert(
      fc.asyncProperty(headers, async (extra) => {
        const clean = Object.fromEntries(Object.entries({ ...valid, ...extra }).filter((e): e is [string, string] => e[1] !== undefined && /^[\t\x20-\x7e]*$/.test(e[1])));
        const response = await fetch(`${base}/apps/demo/echo`, { method: 'POST', body: '{"a":1}', headers: { ...clean, 'content-type': 'application/json' } });
        assert.ok(response.status >= 400 && response.status < 500, String(response.status));
        const json = (await response.json()) as { error: { code: string } };
        assert.match(json.error.code, /^AUTH_/);
      }),
      { numRuns: 60 },
    );
  });
});

test('an sm2 user authenticates with its SM2 signature and SM3 body hash', { timeout: 60_000 }, async (t) => {
  const pki = await makeTestPki('sm2', 'SM');
  t.after(() => pki.cleanup());
  const authenticator = new RequestAuthenticator({ gateway: GW, startedAt: 0, rootPem: pki.rootPem, intermediatePems: [pki.operatorPem], crlPems: await pki.crls() });
  const user = await issueUser(pki, 'li', 'demo');
  const body = '{"amount":1}';
  const headers = signRequest({ gateway: GW, method: 'post', path: '/apps/demo/tx', body, appId: 'demo', certPem: user.certPem, privateKey: user.keyPem });
  const result = authenticator.verify({ method: 'POST', path: '/apps/demo/tx', body: Buffer.from(body), appId: 'demo', headers });
  assert.equal(result.suite, 'sm2');
  assert.equal(result.identity.app, 'demo');
  assert.throws(() => authenticator.verify({ method: 'POST', path: '/apps/demo/tx', body: '{"amount":2}', appId: 'demo', headers }), { code: 'AUTH_BAD_SIGNATURE' });
});
