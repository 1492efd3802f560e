import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchFileError, BenchTargetRejectedError, BenchTargetUnreachableError } from '../../src/bench/errors.js';
import { parseBenchResult } from '../../src/bench/result-file.js';
import type { BenchResult } from '../../src/bench/result.js';
import { runBench } from '../../src/bench/run.js';
import { specFor, startBsn } from './support.js';

/** The checks every produced result must pass: its own schema, and figures that add up. */
function assertValid(result: BenchResult, rounds: number): void {
  parseBenchResult(JSON.parse(JSON.stringify(result)));
  assert.equal(result.rounds.length, rounds);
  assert.ok(result.generator.signedPerSecond > 0 && result.generator.requestsPerSecond > 0, JSON.stringify(result.generator));
  for (const r of result.rounds) {
    assert.ok(r.submitted > 0, `${r.label}: submitted`);
    assert.equal(r.succeeded + r.failed, r.submitted, r.label);
    assert.equal(r.failed, 0, `${r.label}: ${JSON.stringify(r.failures)}`);
    assert.ok(r.throughput > 0 && r.latencyMs.min > 0 && r.latencyMs.min <= r.latencyMs.p50 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max, `${r.label}: ${JSON.stringify(r.latencyMs)}`);
    assert.equal(r.histogram.counts.reduce((a, b) => a + b, 0), r.succeeded, `${r.label}: histogram`);
    assert.equal(r.timeline.reduce((a, p) => a + p.succeeded, 0), r.succeeded, `${r.label}: timeline`);
  }
}

test('bsn bench against a real BSN node: JSON-RPC (transfer, erc20) and the signed REST API (kv)', { timeout: 120_000 }, async (t) => {
  const bsn = await startBsn();
  t.after(() => bsn.stop());

  await t.test('transfer and erc20 through JSON-RPC: every tx commits, a valid result', async () => {
    const spec = specFor({ type: 'jsonrpc', url: bsn.rpcUrl }, [
      { label: 'transfer 100 tps', workload: 'transfer', rate: { type: 'fixed-rate', tps: 100 }, duration: 2, warmup: 0.5 },
      { label: 'erc20 8 in flight', workload: 'erc20', rate: { type: 'fixed-load', inFlight: 8 }, txCount: 150, warmupTx: 20 },
    ]);
    const result = await runBench(spec, { pids: 'none', calibrationMs: 500 });
    assertValid(result, 2);
    assert.deepEqual(result.target, { kind: 'jsonrpc', url: bsn.rpcUrl, chainId: '4242', client: result.target.client });
    const [transfer, erc20] = result.rounds;
    // Rate accuracy is held to ±5 % against the in-process sink (rate.test.ts). Here the node shares
    // the CPU with the rest of the suite, and a sender's next tx waits for its previous one to be
    // accepted, so the schedule may fall behind (never ahead) when the node answers slowly.
    assert.ok(transfer!.submitted >= 140 && transfer!.submitted <= 215, `transfer submitted ${transfer!.submitted}`);
    assert.equal(erc20!.submitted, 150, 'txCount rounds send exactly their count after the warm-up');
    assert.equal(erc20!.txCount, 150);
  });

  await t.test('kv writes and reads through the signed REST gateway', async () => {
    const spec = specFor({ type: 'bsn-rest', url: bsn.base, app: 'kv', cert: bsn.user.cert, key: bsn.user.key }, [
      { label: 'writes', workload: 'kv-write', rate: { type: 'fixed-rate', tps: 100 }, duration: 1.5, warmup: 0.5 },
      { label: 'reads', workload: 'kv-read', rate: { type: 'fixed-load', inFlight: 4 }, txCount: 100 },
      { label: 'mixed', workload: 'mixed', readRatio: 0.5, rate: { type: 'fixed-rate', tps: 50 }, txCount: 60 },
    ], { accounts: 20 });
    const result = await runBench(spec, { pids: 'none', calibrationMs: 500 });
    assertValid(result, 3);
    assert.equal(result.target.kind, 'bsn-rest');
    assert.equal(result.rounds[1]!.submitted, 100);
    // A committed write answers after its block; a read answers at once.
    assert.ok(result.rounds[0]!.latencyMs.p50 > result.rounds[1]!.latencyMs.p50, 'writes wait for their commit');
  });

  await t.test('a certificate for another app is refused before anything is sent', async () => {
    const spec = specFor({ type: 'bsn-rest', url: bsn.base, app: 'kv', cert: bsn.evmUser.cert, key: bsn.evmUser.key }, [{ label: 'r', workload: 'kv-write', rate: { type: 'fixed-rate', tps: 10 }, duration: 1 }]);
    await assert.rejects(runBench(spec, { pids: 'none' }), (e: unknown) => e instanceof BenchTargetRejectedError && /AUTH_FORBIDDEN/.test(e.message));
    const noApp = specFor({ type: 'bsn-rest', url: bsn.base, app: 'nope', cert: bsn.user.cert, key: bsn.user.key }, [{ label: 'r', workload: 'kv-write', rate: { type: 'fixed-rate', tps: 10 }, duration: 1 }]);
    await assert.rejects(runBench(noApp, { pids: 'none' }), (e: unknown) => e instanceof BenchTargetRejectedError && /app 'nope': APP_NOT_FOUND/.test(e.message));
  });
});

test('an unreachable target is a typed error naming its URL', async () => {
  const rest = specFor({ type: 'bsn-rest', url: 'http://127.0.0.1:43101', app: 'kv', cert: 'unused.pem', key: 'unused.pem' }, [{ label: 'r', workload: 'kv-write', rate: { type: 'fixed-rate', tps: 10 }, duration: 1 }]);
  await assert.rejects(runBench(rest, { pids: 'none' }), (e: unknown) => e instanceof BenchFileError && /target\.cert/.test(e.message), 'missing certificate files are a bench file problem');
  const round = [{ label: 'r', workload: 'transfer', rate: { type: 'fixed-rate', tps: 10 }, duration: 1 }];
  // Nothing listens on this loopback port (the range this suite owns).
  const url = 'http://127.0.0.1:43101/apps/evm/rpc';
  await assert.rejects(runBench(specFor({ type: 'jsonrpc', url }, round), { pids: 'none' }), (e: unknown) => e instanceof BenchTargetUnreachableError && e.code === 'BENCH_TARGET_UNREACHABLE' && e.message.includes(url) && /ECONNREFUSED/.test(e.message));
});
