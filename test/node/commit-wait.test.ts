import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSingleNode } from '../support/single-node.js';

// A refused `?wait=commit` submission used to hold its 30 s timer (and the process) to the end.
test('commit waits end when cancelled and when the node stops, not at their timeout', { timeout: 30_000 }, async () => {
  const { node, stop } = await startSingleNode(['kv']);
  let stopped = false;
  try {
    const cancel = new AbortController();
    const started = Date.now();
    const cancelled = node.commitWaiter('kv', randomBytes(40), 60_000, cancel.signal);
    cancel.abort();
    await assert.rejects(cancelled, { code: 'NODE_COMMIT_WAIT_CANCELLED' });
    await assert.rejects(node.commitWaiter('kv', randomBytes(40), 60_000, cancel.signal), { code: 'NODE_COMMIT_WAIT_CANCELLED' });
    await assert.rejects(node.commitWaiter('kv', randomBytes(40), 50), { code: 'NODE_COMMIT_TIMEOUT' });

    const pending = node.commitWaiter('kv', randomBytes(40), 60_000);
    const outcome = pending.then(() => 'resolved', (err: { code?: string }) => err.code);
    await stop();
    stopped = true;
    assert.equal(await outcome, 'NODE_COMMIT_WAIT_CANCELLED');
    assert.ok(Date.now() - started < 20_000);
  } finally {
    if (!stopped) await stop();
  }
});
