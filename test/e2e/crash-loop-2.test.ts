// Crash loop, part 2 of 2: node4 SIGKILLed 25 times in a row under load at seeded random moments
// (start-up, right after a commit, right after an acknowledged tx); then identical blocks on all
// four nodes and no acknowledged tx missing. See crash-loop.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Devnet } from './harness.js';
import { crashLoop } from './crash-loop.js';

let net: Devnet;

before(async () => {
  net = await Devnet.create({ slot: 3, label: 'crash-loop-2' });
});
after(() => net?.cleanup());

test('node4 killed 25 times in a row under load: identical blocks everywhere, no acknowledged tx lost', { timeout: 60_000 }, () =>
  net.guard(async () => {
    const report = await crashLoop(net, { label: 'crash-loop-2', seed: Number(process.env.BSN_E2E_SEED ?? 32), victim: 3, kills: 25 });
    assert.equal(report.kills, 25);
    process.stdout.write(`# crash-loop-2: ${JSON.stringify(report)}\n`);
  }),
);
