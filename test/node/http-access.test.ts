/*
 * Who may use the operations endpoint (review L6): /health, /status and /metrics for whoever
 * reaches it (loopback by default, a warning otherwise); /chains/* only with the operations
 * token; a 500 says nothing internal; an oversized body gets its 413.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseNodeConfig, startHttp } from '../../src/node/index.js';
import { KvClient } from '../../src/sdk/kv-client.js';
import { startSingleNode } from '../support/single-node.js';

const TOKEN = 'a-long-enough-operations-token';

/** A pino logger whose lines land in `lines`. */
function capture(): { log: pino.Logger; lines: { level: number; msg: string; [k: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

async function withEndpoint(listen: string, options: Parameters<typeof startHttp>[2], body: (base: string, node: Awaited<ReturnType<typeof startSingleNode>>['node']) => Promise<void>): Promise<void> {
  const { node, stop } = await startSingleNode(['kv']);
  const http = await startHttp(node, listen, options);
  try {
    await body(`http://127.0.0.1:${http.address.slice(http.address.lastIndexOf(':') + 1)}`, node);
  } finally {
    http.server.close();
    http.server.closeAllConnections();
    await stop();
  }
}

test('/chains/* needs the operations token; without one configured it is closed; health, status and metrics stay open', async () => {
  await withEndpoint('127.0.0.1:0', { token: TOKEN }, async (base) => {
    const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
    for (const path of ['/chains/kv/query/get?data=00', '/chains/kv/blocks/1', '/chains/kv/query/call?data=00']) {
      const none = await fetch(`${base}${path}`);
      assert.equal(none.status, 401, path);
      assert.equal(await code(none), 'HTTP_OPS_TOKEN_REQUIRED');
      assert.equal(none.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
      assert.equal((await fetch(`${base}${path}`, { headers: { authorization: TOKEN } })).status, 401);
    }
    const post = await fetch(`${base}/chains/kv/txs?wait=commit`, { method: 'POST', body: new Uint8Array(10) });
    assert.equal(post.status, 401);
    await assert.rejects(new KvClient(base, 'kv').get(new Uint8Array(1)), { code: 'HTTP_OPS_TOKEN_REQUIRED', status: 401 });
    assert.equal((await new KvClient(base, 'kv', { token: TOKEN }).get(new Uint8Array(1))).value, undefined);
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/status`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
  });
  await withEndpoint('127.0.0.1:0', {}, async (base) => {
    const res = await fetch(`${base}/chains/kv/query/get?data=00`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'HTTP_OPS_TOKEN_NOT_CONFIGURED');
  });
});

test('the config: loopback by default, the token inline or from a file, not both, at least 16 characters', () => {
  const base = { name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'k' }, p2p: { listen: '127.0.0.1:1' } };
  assert.deepEqual(parseNodeConfig(JSON.stringify(base), '/tmp').http, { listen: '127.0.0.1:26660' });
  assert.equal(parseNodeConfig(JSON.stringify({ ...base, http: { tokenFile: 'ops.txt' } }), '/etc/bsn').http.tokenFile, '/etc/bsn/ops.txt');
  assert.throws(() => parseNodeConfig(JSON.stringify({ ...base, http: { token: 'short' } }), '/tmp'), { code: 'NODE_CONFIG_INVALID' });
  assert.throws(() => parseNodeConfig(JSON.stringify({ ...base, http: { token: TOKEN, tokenFile: 'f' } }), '/tmp'), /at most one of token, tokenFile/);
});

test('listening beyond loopback is logged as a warning; loopback is not', async () => {
  const wide = capture();
  await withEndpoint('0.0.0.0:0', { token: TOKEN, log: wide.log }, async () => undefined);
  assert.ok(wide.lines.some((l) => l.level === 40 && /beyond loopback/.test(l.msg)), JSON.stringify(wide.lines));
  const narrow = capture();
  await withEndpoint('127.0.0.1:0', { token: TOKEN, log: narrow.log }, async () => undefined);
  assert.deepEqual(narrow.lines.filter((l) => l.level >= 40), []);
});

test('a 500 answers a generic message; the cause goes to the log', async () => {
  const { log, lines } = capture();
  await withEndpoint('127.0.0.1:0', { token: TOKEN, log }, async (base, node) => {
    node.metrics.render = () => Promise.reject(new Error('ENOENT /var/lib/bsn/secret-path'));
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { error: { code: 'INTERNAL', message: 'internal error' } });
    assert.ok(!text.includes('secret-path'));
    assert.ok(lines.some((l) => l.level === 50 && String(l.err).includes('secret-path')));
  });
});

test('an oversized transaction body gets its 413, even one many times the limit', async () => {
  await withEndpoint('127.0.0.1:0', { token: TOKEN }, async (base) => {
    const { port } = new URL(base);
    for (const size of [1024 * 1024 + 1, 8 * 1024 * 1024]) {
      const answer = await new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/chains/kv/txs', headers: { 'content-length': size, authorization: `Bearer ${TOKEN}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
        req.end(Buffer.alloc(size));
      });
      assert.match(answer, /^413 .*HTTP_BODY_TOO_LARGE/, `${size} bytes: ${answer}`);
    }
  });
});
