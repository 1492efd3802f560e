import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { Wallet, parseEther } from 'ethers';
import { startGateway } from '../../src/gateway/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf, readPrivateKeyPem } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

/*
 * Generated requests against every REST route of a real node's gateway (the routes are read from
 * its OpenAPI document, so routes added later are fuzzed too): random methods, paths, queries,
 * headers and bodies, signed and not. Never a 5xx; every refusal is `{ error: { code, message } }`
 * with a 4xx; and nothing reaches a chain.
 */

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
const MAX_BODY = 16 * 1024;

async function issue(pki: TestPki, name: string, app: string) {
  const out = path.join(pki.dir, `leaf-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'user', name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), privateKey: readPrivateKeyPem(readFileSync(path.join(out, 'key.pem'), 'utf8')) };
}

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(address: string, sent: Sent): Promise<Answer> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: sent.method, path: sent.path, headers: { ...sent.headers, ...(sent.body && { 'content-length': String(sent.body.length) }) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** A route template of the OpenAPI document, `/apps/{appId}/blocks/{height}`, with its method. */
interface Route {
  readonly method: string;
  readonly template: string;
}

const hexOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const unicode = fc.string({ unit: 'binary', maxLength: 40 });
const segment = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 12, arbitrary: name === 'appId' ? fc.constantFrom('kv', 'evm') : name === 'height' ? fc.oneof(fc.nat({ max: 5 }).map(String), fc.constantFrom('0', '-1', '1.5', '1e3', '9'.repeat(30), '0x1')) : fc.oneof(hexOf(32), hexOf(1), hexOf(20)) },
    fc.constantFrom('', 'nope', '0x', '0xzz', '0X00', '%zz', '%00', '..', '%2e%2e', '__proto__', 'constructor', 'x'.repeat(3000)),
    unicode.map(encodeURIComponent),
  );

const jsonBody = fc.oneof(
  fc.record({ tx: fc.oneof(hexOf(2), hexOf(40), fc.string(), fc.integer(), fc.constant(null), fc.constant(`0x${'ab'.repeat(MAX_BODY)}`)) }, { requiredKeys: [] }),
  fc.record({ to: fc.oneof(hexOf(20), hexOf(19), fc.string()), data: fc.oneof(hexOf(4), fc.constant('0xz')), from: fc.oneof(hexOf(20), fc.integer()), value: fc.oneof(fc.constantFrom('0', '1', '-1', '1'.repeat(90), '0x10'), fc.integer()) }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(unicode, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
);
const body = fc.oneof(
  { weight: 4, arbitrary: jsonBody.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  unicode.map((s) => Buffer.from(s)),
  fc.nat({ max: 20_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
  fc.constantFrom(Buffer.from('{"tx":'), Buffer.from('{"tx":"0x00"}'.repeat(2)), Buffer.from('\u0000'), Buffer.alloc(MAX_BODY + 10, 0x41), Buffer.from(`{"tx":"0x${'00'.repeat(MAX_BODY)}"}`)),
);
const printable = fc.string({ minLength: 0, maxLength: 100 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'a'));
const authHeader = fc.constantFrom('x-bsn-cert', 'x-bsn-cert-id', 'x-bsn-timestamp', 'x-bsn-nonce', 'x-bsn-signature', 'content-type', 'x-api-key', 'content-encoding', 'transfer-encoding-x');
const headerValue = fc.oneof(printable, fc.constantFrom('', '=', 'AAAA', '0', '-1', '99999999999999999999', 'application/json', 'text/plain', 'application/json; charset=latin1', 'gzip', 'f'.repeat(64), 'A'.repeat(4000)));

const MUTATIONS = ['none', 'sign', 'sign-then-tamper-body', 'sign-then-tamper-headers', 'sign-by-id'] as const;

test('the REST decoders refuse generated bad input with typed 4xx errors, and nothing reaches a chain', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([{ chainId: 'kv', app: 'kv' }, { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('1').toString() } } } }]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: { maxBodyBytes: MAX_BODY } });
  t.after(async () => {
    agent.destroy();
    await gateway.close();
  });
  const callers = { kv: await issue(pki, 'alice', 'kv'), evm: await issue(pki, 'evan', 'evm') };
  const doc = JSON.parse((await request(gateway.address, { method: 'GET', path: '/docs/json', headers: {} })).text) as { paths: Record<string, Record<string, unknown>> };
  const routes: Route[] = Object.entries(doc.paths).flatMap(([template, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), template })));
  assert.ok(routes.length >= 5, JSON.stringify(routes));
  const before = [...node.chains].map(([id, c]) => [id, c.store.height, c.mempool.count] as const);
  // The certificate-by-id header needs the gateway to have seen each certificate once.
  for (const [app, caller] of Object.entries(callers)) {
    const p = `/apps/${app}/blocks/1`;
    await request(gateway.address, { method: 'GET', path: p, headers: signRequest({ gateway: gateway.id, method: 'GET', path: p, appId: app, certPem: caller.certPem, privateKey: caller.privateKey }) });
  }

  const sent = fc.record({
    route: fc.constantFrom(...routes),
    params: fc.record(Object.fromEntries(['appId', 'height', 'hash', 'key', 'name', 'id'].map((n) => [n, segment(n)]))) as fc.Arbitrary<Record<string, string>>,
    wrongMethod: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') }),
    query: fc.option(fc.oneof(fc.constantFrom('wait=commit', 'wait=soon', 'wait=', 'from=2026-01-01&to=2026-01-02', 'from=2026-13-40', 'a=1&a=2', '%zz'), fc.string({ maxLength: 30 }).map(encodeURIComponent)), { freq: 3 }),
    body: fc.option(body, { freq: 3 }),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-8', undefined),
    extraHeaders: fc.dictionary(authHeader, headerValue, { maxKeys: 3 }),
    mutation: fc.constantFrom(...MUTATIONS),
  });

  let count = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(sent, async (s) => {
      const method = s.wrongMethod ?? s.route.method;
      const reqPath = s.route.template.replace(/\{(\w+)\}/g, (_m, name: string) => s.params[name] ?? 'x') + (s.query === null ? '' : `?${s.query}`);
      const appId = reqPath.split('/')[2] ?? '';
      const caller = appId === 'evm' ? callers.evm : callers.kv;
      let headers: Record<string, string> = { ...(s.contentType && { 'content-type': s.contentType }) };
      let bodyBytes = s.body ?? undefined;
      if (s.mutation !== 'none') {
        const signed = signRequest({ gateway: gateway.id, method, path: reqPath, ...(bodyBytes && { body: bodyBytes }), appId, certPem: caller.certPem, privateKey: caller.privateKey, certById: s.mutation === 'sign-by-id' });
        headers = { ...headers, ...signed };
        if (s.mutation === 'sign-then-tamper-body') bodyBytes = Buffer.concat([bodyBytes ?? Buffer.alloc(0), Buffer.from(' ')]);
      }
      if (s.mutation === 'none' || s.mutation === 'sign-then-tamper-headers') headers = { ...headers, ...s.extraHeaders };
      const answer = await request(gateway.address, { method, path: reqPath, headers, ...(bodyBytes && { body: bodyBytes }) });
      count += 1;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const what = `${method} ${reqPath.slice(0, 200)} (${s.mutation}, body ${bodyBytes?.length ?? 'none'}) -> ${answer.status} ${answer.text.slice(0, 300)}`;
      assert.ok(answer.status < 500, what);
      if (answer.status < 400) return;
      assert.match(answer.contentType, /^application\/json/, what);
      const json = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } | string; message?: unknown; statusCode?: unknown };
      // Routed or not (wrong method, empty or over-long segment, bad percent-encoding, unknown
      // media type), every refusal under /apps/ is the REST error shape.
      assert.equal(typeof json.error, 'object', what);
      const error = json.error as { code?: unknown; message?: unknown };
      assert.equal(typeof error.code, 'string', what);
      assert.match(error.code as string, /^[A-Z][A-Z0-9_]+$/, what);
      assert.equal(typeof error.message, 'string', what);
    }),
    { numRuns: 1000, interruptAfterTimeLimit: 20_000 },
  );
  assert.ok(count >= 200, `only ${count} requests ran`);
  t.diagnostic(`${count} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);

  // Rejected requests changed nothing: same heights, empty mempools.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual([...node.chains].map(([id, c]) => [id, c.store.height, c.mempool.count] as const), before);
});
