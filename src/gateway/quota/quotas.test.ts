import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayStore } from '../store.js';
import { QuotaError, QuotaRequestsPerSecondError, QuotaTxPerDayError } from './limits.js';
import { Quotas } from './quotas.js';

test('tx per day: counted in the store, survives reopening, refused past the limit, released on refusal, new day new count', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-quota-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = Date.UTC(2026, 10, 22, 23, 0, 0);
  const config = { apps: { a: { txPerDay: 3 } } };
  let store = await GatewayStore.open(dir);
  let quotas = new Quotas({ config, db: store.sublevel('quota'), clock: () => now });
  // Concurrent reservations of the last slots: exactly the limit succeed.
  const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => quotas.reserveTxs('a')));
  assert.equal(outcomes.filter((o) => o !== undefined && !(o instanceof QuotaTxPerDayError)).length, 3);
  const refused = outcomes.find((o) => o instanceof QuotaTxPerDayError);
  assert.ok(refused instanceof QuotaTxPerDayError);
  assert.equal(refused.retryAfterSeconds, 3600);
  assert.equal(refused.code, 'QUOTA_TX_PER_DAY');
  // Unlimited apps are not counted.
  assert.equal(await quotas.reserveTxs('b'), undefined);
  await store.close();

  store = await GatewayStore.open(dir);
  quotas = new Quotas({ config, db: store.sublevel('quota'), clock: () => now });
  assert.equal(await quotas.txCount('a'), 3);
  assert.ok((await quotas.reserveTxs('a')) instanceof QuotaTxPerDayError);
  const first = outcomes[0];
  assert.ok(first && !(first instanceof QuotaError));
  await quotas.release(first);
  assert.equal(await quotas.txCount('a'), 2);
  const again = await quotas.reserveTxs('a');
  assert.ok(again && !(again instanceof QuotaError));
  now += 3600 * 1000;
  assert.equal(await quotas.txCount('a'), 0);
  assert.ok(!((await quotas.reserveTxs('a', 3)) instanceof QuotaTxPerDayError));
  assert.ok((await quotas.reserveTxs('a')) instanceof QuotaTxPerDayError);
  await store.close();
});

test('requests per second: per app, with the configured burst (authenticated callers)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-quota-'));
  const store = await GatewayStore.open(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let now = 0;
  const quotas = new Quotas({ config: { default: { requestsPerSecond: 1, burst: 2 }, apps: { fast: { requestsPerSecond: 100 } } }, db: store.sublevel('quota'), clock: () => now });
  assert.equal(quotas.enabled, true);
  assert.equal(quotas.admitRequest('a', true), undefined);
  assert.equal(quotas.admitRequest('a', true), undefined);
  const err = quotas.admitRequest('a', true);
  assert.ok(err instanceof QuotaRequestsPerSecondError);
  assert.equal(err.retryAfterSeconds, 1);
  assert.equal(quotas.admitRequest('b', true), undefined, 'each app has its own bucket');
  // 'fast' overrides the rate only: it keeps the default burst of 2.
  assert.equal(quotas.admitRequest('fast', true), undefined);
  assert.equal(quotas.admitRequest('fast', true), undefined);
  assert.ok(quotas.admitRequest('fast', true) instanceof QuotaRequestsPerSecondError);
  const noBurst = new Quotas({ config: { default: { requestsPerSecond: 2.5 } }, db: store.sublevel('quota'), clock: () => now });
  for (let i = 0; i < 3; i++) assert.equal(noBurst.admitRequest('a', true), undefined, 'burst defaults to ceil(rate) = 3');
  assert.ok(noBurst.admitRequest('a', true) instanceof QuotaRequestsPerSecondError);
  now = 1000;
  assert.equal(quotas.admitRequest('a', true), undefined);
  assert.equal(new Quotas({ config: undefined, db: store.sublevel('quota') }).enabled, false);
});

test('M3: anonymous requests get at most (1 - authenticatedShare) of an app, signed ones the rest', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-quota-'));
  const store = await GatewayStore.open(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let now = 0;
  const quotas = new Quotas({ config: { apps: { a: { requestsPerSecond: 10, burst: 10 } } }, db: store.sublevel('quota'), clock: () => now, authenticatedShare: 0.7 });
  let anonymous = 0;
  for (let i = 0; i < 20; i++) if (quotas.admitRequest('a') === undefined) anonymous++;
  assert.equal(anonymous, 3, 'floor(10 × 0.3) anonymous requests of the burst');
  const refusal = quotas.admitRequest('a');
  assert.ok(refusal instanceof QuotaRequestsPerSecondError);
  assert.match(refusal.message, /anonymous requests per second; sign the request/);
  let signed = 0;
  for (let i = 0; i < 20; i++) if (quotas.admitRequest('a', true) === undefined) signed++;
  assert.equal(signed, 7, 'the reserved share is left for signed callers');
  // Over a second the anonymous bucket refills 3 tokens, the app 10.
  now = 1000;
  anonymous = 0;
  for (let i = 0; i < 20; i++) if (quotas.admitRequest('a') === undefined) anonymous++;
  assert.equal(anonymous, 3);
  const none = new Quotas({ config: { apps: { a: { requestsPerSecond: 10 } } }, db: store.sublevel('quota'), clock: () => now, authenticatedShare: 1 });
  assert.ok(none.admitRequest('a') instanceof QuotaRequestsPerSecondError, 'share 1: signed callers only');
  assert.equal(none.admitRequest('a', true), undefined);
});
