import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AuthError } from './errors.js';
import { NonceStore } from './nonce-store.js';

/* M4: whatever one owner sends, it holds at most its share, and the others keep theirs. */

test('nonce store: per-owner share, capacity, replays, expiry by timestamp', () => {
  const op = fc.record({ owner: fc.constantFrom('a', 'b', 'c'), nonce: fc.integer({ min: 0, max: 40 }), ttl: fc.integer({ min: 1, max: 50 }), advance: fc.integer({ min: 0, max: 10 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }), (ops, perOwner, capacity) => {
      const store = new NonceStore(capacity, perOwner);
      const live = new Map<string, number>();
      let now = 0;
      for (const { owner, nonce, ttl, advance } of ops) {
        now += advance;
        for (const [k, expiry] of live) if (expiry < now) live.delete(k);
        const key = `${owner}:${nonce}`;
        const held = [...live.keys()].filter((k) => k.startsWith(`${owner}:`)).length;
        const expected = live.has(key) ? 'AUTH_REPLAY' : held >= perOwner ? 'AUTH_NONCE_QUOTA' : live.size >= capacity ? 'AUTH_BUSY' : 'OK';
        let got = 'OK';
        try {
          store.add(owner, key, now + ttl, now);
        } catch (err) {
          assert.ok(err instanceof AuthError);
          got = err.code;
        }
        assert.equal(got, expected);
        if (got === 'OK') live.set(key, now + ttl);
        assert.equal(store.size, live.size);
        assert.ok(store.heldBy(owner) <= perOwner);
      }
    }),
    { numRuns: 300 },
  );
});

test('nonce store: restored entries count for their owner and expire', () => {
  const store = new NonceStore(10, 2);
  store.restore('a:1', 100, 0);
  store.restore('a:2', 100, 0);
  store.restore('a:0', 5, 10); // already expired: dropped
  assert.equal(store.heldBy('a'), 2);
  assert.throws(() => store.add('a', 'a:3', 100, 0), { code: 'AUTH_NONCE_QUOTA' });
  assert.throws(() => store.add('a', 'a:1', 100, 0), { code: 'AUTH_REPLAY' });
  store.add('a', 'a:3', 200, 101);
  assert.equal(store.heldBy('a'), 1);
});
