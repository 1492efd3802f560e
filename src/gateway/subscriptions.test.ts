import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitPoller, POLL_MS, type HeightSource } from './subscriptions.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a commit wakes the poller at once, in order, without waiting for the poll; detach unsubscribes', async () => {
  const source: HeightSource & { height: number } = { height: 0 };
  let wake: (() => void) | undefined;
  let unsubscribed = 0;
  const poller = new CommitPoller(source, (err) => assert.fail(String(err)), (w) => {
    wake = w;
    return () => unsubscribed++;
  });
  const seen: number[] = [];
  const listener = {
    onBlock: async (_s: HeightSource, h: number) => {
      seen.push(h);
      await sleep(15); // slower than the commits below: wake-ups arrive while a pass runs
    },
  };
  poller.attach(listener);
  assert.ok(wake, 'subscribed on the first attach');
  const started = performance.now();
  source.height = 1;
  wake();
  source.height = 2;
  wake();
  await sleep(5);
  source.height = 3;
  wake();
  while (seen.length < 3 && performance.now() - started < 1000) await sleep(1);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.ok(performance.now() - started < POLL_MS, `delivered in ${performance.now() - started} ms, under the ${POLL_MS} ms poll`);
  poller.detach(listener);
  assert.equal(unsubscribed, 1);
});

test('without a commit signal the poll still finds new heights', async () => {
  const source: HeightSource & { height: number } = { height: 5 };
  const poller = new CommitPoller(source, (err) => assert.fail(String(err)));
  const seen: number[] = [];
  const listener = { onBlock: async (_s: HeightSource, h: number) => void seen.push(h) };
  poller.attach(listener);
  source.height = 7;
  await sleep(POLL_MS * 3);
  poller.detach(listener);
  assert.deepEqual(seen, [6, 7]);
});
