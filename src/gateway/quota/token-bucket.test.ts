import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secondsToNextUtcDay, utcDay, limitsFor } from './limits.js';
import { TokenBucket } from './token-bucket.js';

test('a token bucket allows its burst, then refills at its rate', () => {
  const bucket = new TokenBucket(2, 3, 1000);
  assert.deepEqual([bucket.take(1000), bucket.take(1000), bucket.take(1000)], [0, 0, 0]);
  assert.equal(bucket.take(1000), 1, 'half a second to the next token, rounded up to 1 s');
  assert.equal(bucket.take(1499), 1);
  assert.equal(bucket.take(1500), 0, 'one token after 0.5 s at 2/s');
  assert.equal(bucket.take(1500), 1);
  assert.equal(bucket.isFull(10_000), true);
});

test('a slow bucket says how many whole seconds to wait, and a clock that steps back gives nothing', () => {
  const bucket = new TokenBucket(0.25, 1, 0);
  assert.equal(bucket.take(0), 0);
  assert.equal(bucket.take(0), 4);
  assert.equal(bucket.take(1000), 3);
  assert.equal(bucket.take(-50_000), 3);
  assert.equal(bucket.take(4000), 0);
});

test('waiting the advised time always finds a token (generated rates, bursts and arrival times)', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), (rate, burst, gaps) => {
      const bucket = new TokenBucket(rate, burst, 0);
      let now = 0;
      let taken = 0;
      for (const gap of gaps) {
        now += gap;
        const wait = bucket.take(now);
        if (wait === 0) taken += 1;
        else {
          assert.ok(Number.isInteger(wait) && wait >= 1);
          assert.equal(bucket.take(now + wait * 1000), 0, `rate ${rate} burst ${burst}: no token after ${wait} s`);
          taken += 1;
          now += wait * 1000;
        }
      }
      // Never more than the burst plus what the rate refilled.
      assert.ok(taken <= burst + Math.floor((now / 1000) * rate) + 1);
    }),
    { numRuns: 300 },
  );
});

test('UTC days and the seconds to the next one', () => {
  const t = Date.UTC(2026, 10, 22, 23, 59, 58, 500);
  assert.equal(utcDay(t), '2026-11-22');
  assert.equal(secondsToNextUtcDay(t), 2);
  assert.equal(secondsToNextUtcDay(Date.UTC(2026, 10, 22)), 86_400);
  assert.equal(secondsToNextUtcDay(Date.UTC(2026, 10, 22, 23, 59, 59, 999)), 1);
});

test('per-app limits override the default field by field', () => {
  const config = { default: { requestsPerSecond: 10, txPerDay: 100 }, apps: { evm: { txPerDay: 5 } } };
  assert.deepEqual(limitsFor(config, 'evm'), { requestsPerSecond: 10, txPerDay: 5 });
  assert.deepEqual(limitsFor(config, 'kv'), { requestsPerSecond: 10, txPerDay: 100 });
  assert.deepEqual(limitsFor(undefined, 'kv'), {});
  assert.deepEqual(limitsFor({ apps: { evm: { burst: 2 } } }, '__proto__'), {});
});
