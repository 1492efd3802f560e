import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpecs, runNodeBatch } from './batch.js';

// n = 7 with f = 2 Byzantine validators (both running the scenario's attack), 20 runs a test.
for (const [i, seed] of [0, 1, 2, 3, 4].map((k) => 0x7a01 + k).entries()) {
  test(`node simulation: n=7, batch ${i + 1} of 20 seeded runs keeps agreement, validity, liveness and the bounds`, async (t) => {
    const summary = await runNodeBatch(batchSpecs(7, 20, seed));
    assert.equal(summary.failures.length, 0, `invariants violated:\n${summary.failures.join('\n')}`);
    t.diagnostic(JSON.stringify({ ...summary, failures: undefined }));
  });
}
