import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateCrl, initOperator, issueLeaf, signOperatorCsr } from '../../src/pki/index.js';
import { AuthError, RequestAuthenticator, signRequest } from '../../src/gateway/rest/index.js';
import { restAuthenticatorFromConfig } from '../../src/gateway/rest/routes-openapi.js';
import { StoreNonceJournal } from '../../src/gateway/rest/nonce-journal.js';
import { GatewayStore } from '../../src/gateway/store.js';
import type { NodeConfig } from '../../src/node/index.js';
import { makeTestPki } from '../support/network-pki.js';

/*
 * The authenticator's rules from the 2026-12 review: app-less certificates (M1), per-certificate
 * nonce quota and future skew (M4), the gateway's identity and restarts (M5), every operator CA
 * with CRLs required (L1), and the validated-only certificate cache (L2).
 */

const secret = { passphrase: 'correct horse battery staple' };
const GW = 'gw1';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AuthError, String(err));
    return err.code;
  }
  return 'OK';
};

test('authenticator rules (M1, M4, M5, L1, L2)', { timeout: 60_000 }, async (t) => {
  const pki = await makeTestPki('ecdsa-p256');
  t.after(() => pki.cleanup());
  const issue = async (ca: string, name: string, kind: 'user' | 'org', app?: string) => {
    const out = path.join(pki.dir, `u-${name}`);
    await issueLeaf({ caDir: path.join(pki.dir, ca), out, kind, name, ...(app && { app }), secret });
    return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
  };
  // A second operator of the same network.
  const { csrPem } = initOperator({ dir: path.join(pki.dir, 'op2'), name: 'Test Operator 2', suite: 'ecdsa-p256', passphrase: secret.passphrase });
  await signOperatorCsr({ caDir: path.join(pki.dir, 'root'), csrPem, out: path.join(pki.dir, 'op2', 'ca.pem'), secret });
  await generateCrl({ caDir: path.join(pki.dir, 'op2'), out: path.join(pki.dir, 'op2.crl'), secret });
  const op2Pem = readFileSync(path.join(pki.dir, 'op2', 'ca.pem'), 'utf8');
  const op2Crl = readFileSync(path.join(pki.dir, 'op2.crl'), 'utf8');
  const crls = await pki.crls();

  const alice = await issue('op1', 'alice', 'user', 'demo');
  const bob = await issue('op1', 'bob', 'user', 'demo');
  const appless = await issue('op1', 'nobody', 'user');
  const org = await issue('op1', 'acme', 'org');
  const carol = await issue('op2', 'carol', 'user', 'demo');

  let now = Date.now();
  const make = (extra: Partial<ConstructorParameters<typeof RequestAuthenticator>[0]> = {}) =>
    new RequestAuthenticator({ gateway: GW, rootPem: pki.rootPem, intermediatePems: [pki.operatorPem, op2Pem], crlPems: [...crls, op2Crl], requireCrls: true, clock: () => now, ...extra });
  type Caller = { certPem: string; keyPem: string };
  const headersOf = (caller: Caller, o: { at?: number; gateway?: string; app?: string; nonce?: Uint8Array } = {}) =>
    signRequest({ gateway: o.gateway ?? GW, method: 'GET', path: `/apps/${o.app ?? 'demo'}/x`, appId: o.app ?? 'demo', certPem: caller.certPem, privateKey: caller.keyPem, now: o.at ?? now, ...(o.nonce && { nonce: o.nonce }) });
  const verify = (a: RequestAuthenticator, headers: Record<string, string>, app = 'demo') => () => a.verify({ method: 'GET', path: `/apps/${app}/x`, appId: app, headers });

  await t.test('M1: a user certificate must name its app; an app-less org may call any app', () => {
    const a = make();
    assert.equal(codeOf(verify(a, headersOf(appless))), 'AUTH_NO_APP');
    const err = (() => {
      try {
        verify(a, headersOf(appless))();
      } catch (e) {
        return e as AuthError;
      }
    })();
    assert.equal(err?.httpStatus, 403);
    assert.equal(codeOf(verify(a, headersOf(org, { app: 'other' }), 'other')), 'OK');
    assert.equal(codeOf(verify(a, headersOf(alice, { app: 'other' }), 'other')), 'AUTH_FORBIDDEN');
  });

  await t.test('M4: one certificate holds at most its share of the nonce store', () => {
    const a = make({ noncesPerCertificate: 3, nonceCapacity: 10 });
    for (let i = 0; i < 3; i++) assert.equal(codeOf(verify(a, headersOf(alice))), 'OK');
    const over = (() => {
      try {
        verify(a, headersOf(alice))();
      } catch (e) {
        return e as AuthError;
      }
    })();
    assert.equal(over?.code, 'AUTH_NONCE_QUOTA');
    assert.equal(over?.httpStatus, 429);
    // Another certificate still gets in.
    assert.equal(codeOf(verify(a, headersOf(bob))), 'OK');
    assert.equal(a.nonceCount, 4);
  });

  await t.test('M4: a timestamp may be only a little ahead of the gateway', () => {
    const a = make();
    assert.equal(codeOf(verify(a, headersOf(alice, { at: now + a.futureSkewMs + 1 }))), 'AUTH_STALE');
    assert.equal(codeOf(verify(a, headersOf(alice, { at: now + a.futureSkewMs }))), 'OK');
    // A full window ahead used to pass.
    assert.equal(codeOf(verify(a, headersOf(alice, { at: now + a.windowMs - 1 }))), 'AUTH_STALE');
  });

  await t.test('M5: a request signed for another gateway does not verify here', () => {
    const a = make();
    assert.equal(codeOf(verify(a, headersOf(alice, { gateway: 'gw2' }))), 'AUTH_BAD_SIGNATURE');
  });

  await t.test('M5: a request accepted before a restart is refused after it', async () => {
    const store = await GatewayStore.open(path.join(pki.dir, 'store'));
    t.after(() => store.close());
    const journal = new StoreNonceJournal(store.sublevel('nonces'), () => now);
    const first = make({ startedAt: now - 60_000 });
    await first.useJournal(journal);
    const past = headersOf(alice, { at: now - 1000 });
    const ahead = headersOf(alice, { at: now + 20_000 });
    assert.equal(codeOf(verify(first, past)), 'OK');
    const result = first.verify({ method: 'GET', path: '/apps/demo/x', appId: 'demo', headers: ahead });
    assert.ok(result.durable, 'a future-dated nonce goes to the journal');
    await result.durable;
    now += 5000;
    // The restart: a new authenticator, started now, on the same store.
    const second = make();
    await second.useJournal(journal);
    assert.equal(codeOf(verify(second, past)), 'AUTH_STALE');
    assert.equal(codeOf(verify(second, ahead)), 'AUTH_REPLAY');
    assert.equal(codeOf(verify(second, headersOf(alice))), 'OK');
  });

  await t.test('L1: users of every operator CA are accepted, and each CA needs its CRL', () => {
    assert.equal(codeOf(verify(make(), headersOf(carol))), 'OK');
    const noCrl = make({ crlPems: crls });
    const err = (() => {
      try {
        verify(noCrl, headersOf(carol))();
      } catch (e) {
        return e as AuthError & { pkiCode?: string };
      }
    })();
    assert.equal(err?.code, 'AUTH_CERT_INVALID');
    assert.equal(err?.pkiCode, 'PKI_CRL_MISSING');
  });

  await t.test('L1: the node config trusts gateway.operatorCas and requires CRLs', () => {
    const file = (name: string, text: string) => {
      writeFileSync(path.join(pki.dir, name), text);
      return path.join(pki.dir, name);
    };
    const config = {
      name: 'node1',
      network: { rootCert: file('root.pem', pki.rootPem), crls: [file('c0.pem', crls[0]!), file('c1.pem', crls[1]!)] },
      tls: { chain: [file('op1.pem', pki.operatorPem)] },
      gateway: { operatorCas: [file('op2.pem', op2Pem)] },
    } as unknown as NodeConfig;
    const fromConfig = restAuthenticatorFromConfig(config, { clock: () => now });
    assert.equal(fromConfig.gateway, 'node1');
    // op2 is trusted, but no CRL of op2 is loaded: refused, not waved through (requireCrls).
    assert.match(String(codeOf(verify(fromConfig, headersOf(carol, { gateway: 'node1' })))), /AUTH_CERT_INVALID/);
    const withCrl = restAuthenticatorFromConfig({ ...config, network: { ...config.network, crls: [...config.network.crls, file('c2.pem', op2Crl)] } } as NodeConfig, { clock: () => now });
    assert.equal(codeOf(verify(withCrl, headersOf(carol, { gateway: 'node1' }))), 'OK');
    assert.equal(codeOf(verify(withCrl, headersOf(appless, { gateway: 'node1' }))), 'AUTH_NO_APP');
  });

  await t.test('L2: refused certificates never enter the valid cache', async () => {
    const foreign = await makeTestPki('ecdsa-p256', 'Other');
    t.after(() => foreign.cleanup());
    const a = make({ certCacheCapacity: 2 });
    assert.equal(codeOf(verify(a, signRequest({ gateway: GW, method: 'GET', path: '/apps/demo/x', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now, certById: false }))), 'OK');
    for (let i = 0; i < 5; i++) {
      const junk = await foreign.issue(`junk${i}`, 'user');
      assert.equal(codeOf(verify(a, headersOf(junk))), 'AUTH_CERT_INVALID');
    }
    assert.deepEqual(a.cacheSizes, { valid: 1, refused: 5 });
    // Alice, cached before the junk, is still known by id.
    assert.equal(codeOf(verify(a, signRequest({ gateway: GW, method: 'GET', path: '/apps/demo/x', appId: 'demo', certPem: alice.certPem, privateKey: alice.keyPem, now, certById: true }))), 'OK');
  });
});
