import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayStore } from '../../src/gateway/store.js';
import { UserExistsError, UserRegistry, type UserRecord } from '../../src/gateway/users/index.js';

/*
 * L8(1): a user's name is recorded before its certificate is issued, so concurrent registrations
 * of one name issue one certificate, not one per request with all but one left without a record.
 */

const record = (name: string, serial: string): UserRecord => ({ name, appId: 'kv', mode: 'own-key', certificate: 'PEM', serial, fingerprint: `FP:${serial}`, suite: 'ecdsa-p256', notAfter: '2030-01-01T00:00:00.000Z', createdAt: '2026-12-03T00:00:00.000Z', createdBy: 'admin' });

test('concurrent registrations of one name issue one certificate', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-users-'));
  const store = await GatewayStore.open(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const registry = await UserRegistry.open(store.sublevel('users'));
  let issued = 0;
  const enroll = () => record('dave', String(++issued));
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => registry.register('kv', 'dave', enroll)));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  assert.ok(outcomes.every((o) => o.status === 'fulfilled' || o.reason instanceof UserExistsError));
  assert.equal(issued, 1, 'one certificate issued');
  assert.equal((await registry.get('kv', 'dave'))?.serial, '1');

  // A failed issue frees the name again, and leaves nothing listed.
  await assert.rejects(
    registry.register('kv', 'erin', () => {
      throw new Error('CA unavailable');
    }),
    /CA unavailable/,
  );
  assert.equal(await registry.get('kv', 'erin'), undefined);
  const ok = await registry.register('kv', 'erin', () => record('erin', 'e1'));
  assert.equal(ok.serial, 'e1');
  assert.deepEqual((await registry.list('kv')).map((u) => u.name).sort(), ['dave', 'erin']);
});
