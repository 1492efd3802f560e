import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchResult, RoundResult } from '../../src/bench/result.js';
import { resultTable, summaryLine } from '../../src/bench/summary.js';
import { makeResult } from './report-fixtures.js';

function round(over: Partial<RoundResult>): RoundResult {
  return {
    label: 'r', workload: 'erc20', rateControl: { type: 'fixed-load', inFlight: 64 }, durationSec: 10,
    submitted: 8_124, succeeded: 8_124, failed: 0, failures: [], sendRate: 812.4, throughput: 812.4,
    latencyMs: { min: 8.25, avg: 45.3, p50: 40.2, p95: 101, p99: 120.4, max: 250 },
    timeline: [], histogram: { bucketsMs: [], counts: [] },
    ...over,
  };
}

const one: BenchResult = makeResult([round({ label: 'saturation' })], 'erc20');

test('summaryLine: one round, as a CI log line', () => {
  assert.equal(summaryLine(one), 'bsn bench erc20 @ jsonrpc http://127.0.0.1:43202/apps/demo/rpc: 1 round, 812.4 tx/s, p50 40 ms, p99 120 ms, 0.0% failed');
});

test('summaryLine: several rounds quote the best round, and failures over all rounds', () => {
  const r = makeResult([
    round({ label: 'slow', throughput: 100, submitted: 1_000, succeeded: 900, failed: 100, latencyMs: { min: 1, avg: 2, p50: 3.5, p95: 4, p99: 5.25, max: 6 } }),
    round({ label: 'fast', throughput: 1_234.56, submitted: 1_000, succeeded: 1_000, failed: 0 }),
  ]);
  assert.equal(summaryLine(r), 'bsn bench erc20 @ jsonrpc http://127.0.0.1:43202/apps/demo/rpc: 2 rounds (best: fast), 1,234.6 tx/s, p50 40 ms, p99 120 ms, 5.0% failed');
});

test('summaryLine: nothing succeeded, and no rounds at all', () => {
  const failed = makeResult([round({ succeeded: 0, failed: 10, submitted: 10, throughput: 0 })]);
  assert.match(summaryLine(failed), /: 1 round, 0\.0 tx\/s, no latency \(nothing succeeded\), 100\.0% failed$/);
  assert.match(summaryLine(makeResult([])), /: 0 rounds$/);
});

test('resultTable: aligned columns, one row per round, every load kind', () => {
  const r = makeResult([
    round({ label: 'fixed rate', rateControl: { type: 'fixed-rate', tps: 200 }, sendRate: 200, throughput: 199.5, latencyMs: { min: 4.5, avg: 9, p50: 8, p95: 20, p99: 45, max: 70 } }),
    round({ label: 'ramp\nwith newline', rateControl: { type: 'linear-ramp', fromTps: 100, toTps: 1_000 }, succeeded: 0, failed: 8_124 }),
    round({ label: 'load' }),
  ]);
  const lines = resultTable(r).split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^round\s+workload\s+load\s+submitted\s+succeeded\s+failed\s+failed %\s+sent\/s\s+tx\/s\s+min ms\s+avg ms\s+p50 ms\s+p95 ms\s+p99 ms\s+max ms$/);
  assert.match(lines[1]!, /^fixed rate\s+erc20\s+200 tx\/s\s+8,124\s+8,124\s+0\s+0\.0\s+200\.0\s+199\.5\s+4\.5\s+9\.0\s+8\.0\s+20\s+45\s+70$/);
  assert.match(lines[2]!, /^ramp with newline\s+erc20\s+100→1,000 tx\/s .* 100\.0 .*-\s+-\s+-\s+-\s+-\s+-$/);
  assert.match(lines[3]!, /^load\s+erc20\s+64 in flight\s/);
  // Right-aligned figures end in the same column as their header.
  const tpsEnd = lines[0]!.indexOf('tx/s') + 'tx/s'.length;
  assert.equal(lines[1]!.slice(tpsEnd - 5, tpsEnd), '199.5');
  assert.equal(lines[3]!.slice(tpsEnd - 6, tpsEnd), ' 812.4');
});
