import { test } from 'node:test';
import { runBatch } from './batch.js';

for (const [i, seed] of [0xa001, 0xa002, 0xa003, 0xa004].entries()) {
  test(`simulation: n=10, batch ${i + 1}/4 of 50 seeded runs keeps every invariant`, (t) => {
    t.diagnostic(JSON.stringify(runBatch(10, 50, seed)));
  });
}
