import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpecs, runNodeBatch } from './batch.js';

// CI share of the ≥1,000 node-level runs: n = 4 (f = 1), every scenario in turn, 20 runs a test (well under the 40 s a test may take on a loaded 2-core machine).
for (const [i, seed] of [0, 1, 2, 3, 4, 5, 6, 7].map((k) => 0x4c01 + k).entries()) {
  test(`node simulation: n=4, batch c${i + 1} of 20 seeded runs keeps agreement, validity, liveness and the bounds`, async (t) => {
    const summary = await runNodeBatch(batchSpecs(4, 20, seed));
    assert.equal(summary.failures.length, 0, `invariants violated:\n${summary.failures.join('\n')}`);
    t.diagnostic(JSON.stringify({ ...summary, failures: undefined }));
  });
}
