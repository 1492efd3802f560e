import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchTargetRejectedError } from '../../src/bench/errors.js';
import { parseBenchResult } from '../../src/bench/result-file.js';
import { runBench } from '../../src/bench/run.js';
import { loadBenchFile, overrideTarget, parseBenchSpec } from '../../src/bench/spec.js';
import path from 'node:path';
import { startHardhat, WORKLOADS_DIR } from './support.js';

test('the shipped erc20 bench file, unchanged but shortened, against a real hardhat node', { timeout: 120_000 }, async (t) => {
  const hardhat = await startHardhat(43110);
  t.after(() => hardhat.stop());
  const file = loadBenchFile(path.join(WORKLOADS_DIR, 'erc20.yaml'));
  // The file's rounds, with short windows so that the test stays quick.
  const spec = parseBenchSpec({ ...overrideTarget(file, hardhat.url), accounts: 10, rounds: file.rounds.map((r) => ({ ...r, warmup: 0.5, duration: 1.5 })) });
  assert.deepEqual(spec.target, { type: 'jsonrpc', url: hardhat.url });
  const result = await runBench(spec, { benchFile: 'bench/workloads/erc20.yaml', calibrationMs: 500 });
  parseBenchResult(JSON.parse(JSON.stringify(result)));
  assert.equal(result.target.chainId, '31337');
  assert.match(result.target.client ?? '', /Hardhat/);
  assert.equal(result.rounds.length, 2);
  for (const r of result.rounds) {
    assert.ok(r.submitted > 20, `${r.label}: submitted ${r.submitted}`);
    assert.equal(r.failed, 0, `${r.label}: ${JSON.stringify(r.failures)}`);
    assert.ok(r.throughput > 0 && r.latencyMs.p50 > 0);
    // --pids auto: the process listening on the target's port is the hardhat node.
    assert.ok(r.resources?.some((u) => u.pid === hardhat.pid && u.rssBytesMax > 0), JSON.stringify(r.resources));
  }
});

test('a target that rejects the workload stops the run early with its reason', { timeout: 90_000 }, async (t) => {
  // A Hardhat node whose blocks hold 100,000 gas: funding (21,000 each) passes, every deployment
  // (gas limit 500,000) is refused at send.
  const hardhat = await startHardhat(43111, { blockGasLimit: 100_000 });
  t.after(() => hardhat.stop());
  const spec = parseBenchSpec({ name: 'rejected', target: { type: 'jsonrpc', url: hardhat.url }, accounts: 30, workers: 1, rounds: [{ label: 'deploy', workload: 'deploy', rate: { type: 'fixed-rate', tps: 100 }, duration: 30 }] });
  const started = Date.now();
  await assert.rejects(runBench(spec, { pids: 'none', calibrationMs: 0 }), (e: unknown) => e instanceof BenchTargetRejectedError && /rejected the first \d+ transactions: .*gas/i.test(e.message));
  assert.ok(Date.now() - started < 20_000, 'stopped early, not after 30 s');
});
