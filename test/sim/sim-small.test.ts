import { test } from 'node:test';
import { runBatch } from './batch.js';

// CI share of the ≥1,000 seeded runs: n = 1 and n = 4, every scenario in turn.
test('simulation: n=1, 150 seeded runs across all scenarios keep every invariant', (t) => {
  t.diagnostic(JSON.stringify(runBatch(1, 150, 0x1001)));
});

for (const [i, seed] of [0x4001, 0x4002, 0x4003].entries()) {
  test(`simulation: n=4, batch ${i + 1}/3 of 150 seeded runs keeps every invariant`, (t) => {
    t.diagnostic(JSON.stringify(runBatch(4, 150, seed)));
  });
}
