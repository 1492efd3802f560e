import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { EventsError } from './errors.js';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature.js';
import { checkWebhookUrl, hostAllowed, InternalAllowList } from './webhook-url.js';
import { idempotencyKey, retryDelay } from './webhook-worker.js';

test('the signature is HMAC-SHA256 over "<timestamp>.<body>" and verifies only unchanged', () => {
  const secret = newWebhookSecret();
  assert.match(secret, /^whsec_[0-9a-f]{64}$/);
  const body = '{"event":{"height":1}}';
  const ts = 1_767_225_600_000;
  const signature = signWebhook(secret, ts, body);
  assert.equal(signature, `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
  const now = ts + 1000;
  assert.equal(verifyWebhook({ secret, body, signature, timestamp: String(ts), now }), true);
  assert.equal(verifyWebhook({ secret, body: body.replace('1', '2'), signature, timestamp: String(ts), now }), false);
  assert.equal(verifyWebhook({ secret, body, signature, timestamp: String(ts + 1), now }), false);
  assert.equal(verifyWebhook({ secret: newWebhookSecret(), body, signature, timestamp: String(ts), now }), false);
  assert.equal(verifyWebhook({ secret, body, signature, timestamp: String(ts), now: ts + 6 * 60_000 }), false, 'outside the tolerance');
  assert.equal(verifyWebhook({ secret, body, signature: undefined, timestamp: String(ts), now }), false);
  assert.equal(verifyWebhook({ secret, body, signature: 'sha256=00', timestamp: 'x', now }), false);
});

test('retry delays grow exponentially, stay within [ceiling/2, ceiling], and are capped', () => {
  assert.equal(retryDelay(1, 100, 10_000, () => 0), 50);
  assert.equal(retryDelay(1, 100, 10_000, () => 1), 100);
  assert.equal(retryDelay(4, 100, 10_000, () => 1), 800);
  assert.equal(retryDelay(30, 100, 10_000, () => 1), 10_000);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, base, max, r) => {
      const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 40));
      const d = retryDelay(attempt, base, max, () => r);
      assert.ok(d >= Math.floor(ceiling / 2) && d <= Math.ceil(ceiling), `${d} for ceiling ${ceiling}`);
    }),
  );
});

test('idempotency keys name the webhook, the height and the log', () => {
  assert.equal(idempotencyKey('wh_1', { type: 'block', height: 5, hash: '0x', time: 0, txCount: 0 }), 'wh_1:5');
  assert.equal(idempotencyKey('wh_1', { type: 'log', height: 5, logIndex: 2, ethBlockHash: '0x', txHash: '0x', txIndex: 0, address: '0x', topics: [], data: '0x' }), 'wh_1:5:2');
});

test('webhook URLs: http(s) only, no credentials, allow-list by host or .suffix', () => {
  assert.equal(checkWebhookUrl('https://hooks.example.com/x?y=1').href, 'https://hooks.example.com/x?y=1');
  const codeOf = (url: string, allowed?: string[], internal?: string[]) => {
    try {
      checkWebhookUrl(url, allowed, new InternalAllowList(internal));
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof EventsError);
      return err.code;
    }
  };
  for (const bad of ['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', '/relative', 'https://u:p@example.com/', 'http://example.com/#frag', `https://example.com/${'a'.repeat(3000)}`]) {
    assert.equal(codeOf(bad), 'WEBHOOK_BAD_URL', bad);
  }
  assert.equal(codeOf('https://a.example.com/', ['.example.com']), 'ok');
  assert.equal(codeOf('https://example.com/', ['.example.com']), 'WEBHOOK_BAD_URL');
  assert.equal(codeOf('https://evil-example.com/', ['.example.com']), 'WEBHOOK_BAD_URL');
  // An allowed host that is an internal address also needs allowInternal (review M10).
  assert.equal(codeOf('http://127.0.0.1:9/', ['127.0.0.1']), 'WEBHOOK_BAD_URL');
  assert.equal(codeOf('http://127.0.0.1:9/', ['127.0.0.1'], ['127.0.0.1']), 'ok');
  assert.equal(codeOf('http://10.0.0.1/', ['127.0.0.1']), 'WEBHOOK_BAD_URL');
  assert.equal(hostAllowed('anything', undefined), true);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => void codeOf(text)));
});
