import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from './prng.js';
import { runOne } from './run.js';
import { SCENARIOS } from './scenario.js';

test('prng: a seed gives one stream; nearby seeds give unrelated ones', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.next()));
  const mean = Array.from({ length: 10000 }, () => a.float()).reduce((s, x) => s + x, 0) / 10000;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
});

test('simulator: a (scenario, n, seed) replays exactly — same messages, heights and clock', () => {
  for (const scenario of SCENARIOS) {
    const spec = { scenario, n: 4, seed: 12345, variant: 'honest' } as const;
    const first = runOne(spec);
    assert.deepEqual(runOne(spec), first, scenario);
  }
});
