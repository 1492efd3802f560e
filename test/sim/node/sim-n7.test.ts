import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpecs, runNodeBatch } from './batch.js';

// n = 7 with f = 2 Byzantine validators (both running the scenario's attack), 10 runs a test:
// with the validator-set scenarios (followers too: nine runners) a batch of 20 came near 60 s on a loaded machine.
for (const [i, seed] of Array.from({ length: 10 }, (_, k) => 0x7a01 + k).entries()) {
  test(`node simulation: n=7, batch ${i + 1} of 10 seeded runs keeps agreement, validity, liveness and the bounds`, async (t) => {
    const summary = await runNodeBatch(batchSpecs(7, 10, seed));
    assert.equal(summary.failures.length, 0, `invariants violated:\n${summary.failures.join('\n')}`);
    t.diagnostic(JSON.stringify({ ...summary, failures: undefined }));
  });
}
