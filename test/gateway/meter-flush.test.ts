import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Meter } from '../../src/gateway/metering/index.js';
import { GatewayStore, type GatewaySublevel } from '../../src/gateway/store.js';
import { utcDay } from '../../src/gateway/quota/index.js';
import { startSingleNode } from '../support/single-node.js';

// Review L8 (2): a flush whose store write fails keeps its counts for the next flush.
test('Meter.flush re-queues its deltas when the store write fails; the next flush writes them, merged with newer ones', { timeout: 30_000 }, async (t) => {
  const { node, stop } = await startSingleNode(['kv']);
  t.after(stop);
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-meter-'));
  const store = await GatewayStore.open(path.join(dir, 'gateway'));
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // The real LevelDB sublevel, whose next batch fails once (a full disk, an I/O error).
  const real = store.sublevel('meter');
  let failures = 1;
  const db = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'batch') {
        return (...args: unknown[]) => {
          if (failures-- > 0) return Promise.reject(new Error('EIO: write failed'));
          return (target.batch as (...a: unknown[]) => Promise<void>).apply(target, args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as GatewaySublevel;
  const meter = await Meter.open({ node, db, flushIntervalMs: 3_600_000 });
  t.after(() => meter.close());
  meter.record('kv', 'alice', { requests: 2, requestBytes: 100 });
  meter.submitted('kv', 'alice', undefined);
  await assert.rejects(meter.flush(), /EIO/);
  meter.record('kv', 'alice', { requests: 1, responseBytes: 7 });
  const day = utcDay(Date.now());
  const report = await meter.usage('kv', day, day);
  assert.deepEqual(report.days[0]?.callers['alice'], { requests: 3, requestBytes: 100, responseBytes: 7, txs: 1, gas: '0' });
  // Written once: a further flush adds nothing.
  assert.equal((await meter.usage('kv', day, day)).total.requests, 3);
});
