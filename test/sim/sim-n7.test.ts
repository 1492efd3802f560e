import { test } from 'node:test';
import { runBatch } from './batch.js';

for (const [i, seed] of [0x7001, 0x7002, 0x7003, 0x7004, 0x7005].entries()) {
  test(`simulation: n=7, batch ${i + 1}/5 of 50 seeded runs keeps every invariant`, (t) => {
    t.diagnostic(JSON.stringify(runBatch(7, 50, seed)));
  });
}
