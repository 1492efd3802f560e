/*
 * Webhook targets (review M10): internal addresses are refused after DNS resolution unless the
 * operator allows them by host or range, and the connection goes to the address that was
 * checked, with no second lookup (DNS rebinding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { postPinned } from '../../src/gateway/events/webhook-post.js';
import { checkWebhookUrl, InternalAllowList, isInternalAddress, resolveWebhookTarget } from '../../src/gateway/events/webhook-url.js';

const none = new InternalAllowList();

test('internal address ranges: v4, v6 and v4-mapped v6 are internal; public ones are not', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.100.100.200', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00:ec2::254', 'fc00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', 'ff02::1']) {
    assert.equal(isInternalAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isInternalAddress(a), false, a);
  // Any IPv4 address in 10/8 is internal, whichever way it is written in a URL.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 24 - 1 }), (n) => {
      const a = `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
      assert.throws(() => checkWebhookUrl(`http://${a}/`), { code: 'WEBHOOK_BAD_URL' });
      assert.throws(() => checkWebhookUrl(`http://[::ffff:${a}]/`), { code: 'WEBHOOK_BAD_URL' });
    }),
    { numRuns: 200 },
  );
});

test('the allow-list names hosts and ranges; a bad entry is refused', () => {
  const allow = new InternalAllowList(['10.1.0.0/16', '::1', '.hooks.internal', 'receiver']);
  assert.equal(checkWebhookUrl('http://10.1.2.3/x', undefined, allow).hostname, '10.1.2.3');
  assert.throws(() => checkWebhookUrl('http://10.2.0.1/x', undefined, allow), { code: 'WEBHOOK_BAD_URL' });
  assert.equal(checkWebhookUrl('http://[::1]:8/x', undefined, allow).port, '8');
  assert.equal(allow.allows('a.hooks.internal', '10.9.9.9'), true);
  assert.equal(allow.allows('receiver', '192.168.0.2'), true);
  assert.equal(allow.allows('other', '192.168.0.2'), false);
  assert.throws(() => new InternalAllowList(['10.0.0.0/33']), { code: 'WEBHOOK_BAD_URL' });
  assert.throws(() => new InternalAllowList(['name/8']), { code: 'WEBHOOK_BAD_URL' });
});

test('a name is judged by every address it resolves to, and the first is pinned', async () => {
  const calls: string[] = [];
  const resolver = (answers: { address: string; family: number }[]) => async (host: string) => {
    calls.push(host);
    return answers;
  };
  const pinned = await resolveWebhookTarget('https://hooks.example.com/x', undefined, none, resolver([{ address: '93.184.215.14', family: 4 }]));
  assert.deepEqual([pinned.address, pinned.family, pinned.url.hostname], ['93.184.215.14', 4, 'hooks.example.com']);
  // One internal answer among public ones refuses the name: which one a connect would pick is not ours.
  await assert.rejects(resolveWebhookTarget('https://rebind.example.com/x', undefined, none, resolver([{ address: '93.184.215.14', family: 4 }, { address: '169.254.169.254', family: 4 }])), { code: 'WEBHOOK_BAD_URL' });
  await assert.rejects(resolveWebhookTarget('https://v6.example.com/x', undefined, none, resolver([{ address: 'fd00::5', family: 6 }])), { code: 'WEBHOOK_BAD_URL' });
  assert.equal((await resolveWebhookTarget('https://v6.example.com/x', undefined, new InternalAllowList(['fd00::/8']), resolver([{ address: 'fd00::5', family: 6 }]))).address, 'fd00::5');
  assert.deepEqual(calls, ['hooks.example.com', 'rebind.example.com', 'v6.example.com', 'v6.example.com']);
  // Real DNS: localhost is loopback, refused unless allowed (by its name here).
  await assert.rejects(resolveWebhookTarget('http://localhost:9/x', undefined, none), { code: 'WEBHOOK_BAD_URL' });
  const local = await resolveWebhookTarget('http://localhost:9/x', undefined, new InternalAllowList(['localhost']));
  assert.equal(isInternalAddress(local.address), true);
});

test('the POST goes to the pinned address, with the URL host in Host, and never looks the name up again', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(req.url === '/fail' ? 503 : 204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  // `.invalid` never resolves: an answer proves the connection used the pinned address alone.
  const target = (p: string) => ({ url: new URL(`http://rebound.invalid:${port}${p}`), address: '127.0.0.1', family: 4 as const });
  const signal = new AbortController().signal;
  assert.equal(await postPinned(target('/hook'), '{}', { 'content-type': 'application/json' }, 2000, signal), undefined);
  assert.equal(seen[0]!.host, `rebound.invalid:${port}`);
  assert.equal(seen[0]!['content-length'], '2');
  assert.equal(await postPinned(target('/fail'), '{}', {}, 2000, signal), 'HTTP 5xx');
  assert.equal(await postPinned({ ...target('/'), address: '127.0.0.1', url: new URL('http://rebound.invalid:1/') }, '{}', {}, 2000, signal), 'connection failed');
});
