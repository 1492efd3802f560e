import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingTxs } from './pending.js';

test('the pending nonce counts this sender\'s contiguous txs still in the mempool', () => {
  const p = new PendingTxs();
  const held = new Set(['a', 'b', 'd']);
  const add = (poolHash: string, nonce: number) => p.add({ ethHash: `0x${poolHash}`, poolHash, sender: '0xabc', nonce, raw: new Uint8Array(0) });
  add('a', 3);
  add('b', 4);
  add('d', 6);
  assert.equal(p.nextNonce('0xABC', 3, (h) => held.has(h)), 5);
  assert.equal(p.nextNonce('0xother', 7, (h) => held.has(h)), 7);
  // a committed (nonce 3 now below the committed nonce), b left the mempool: both are forgotten.
  held.delete('b');
  assert.equal(p.nextNonce('0xabc', 4, (h) => held.has(h)), 4);
  assert.equal(p.get('0xa'), undefined);
  assert.equal(p.get('0xb'), undefined);
  assert.ok(p.get('0xd'));
});
