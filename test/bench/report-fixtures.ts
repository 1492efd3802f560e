/*
 * Bench results for the report tests: realistic figures from a seeded generator, with every
 * string field open to a caller (hostile strings included).
 */
import type { BenchResult, RoundResult, TimelinePoint } from '../../src/bench/result.js';

export const HOSTILE = `</script><img src=x onerror="alert(1)"><script>alert(2)</script>&amp;"'<svg onload=alert(3)>`;

/** xorshift32: the same figures on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export const BUCKETS_MS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export function makeRound(opts: { label: string; seconds: number; tps: number; seed: number; reason?: string; workload?: string }): RoundResult {
  const rand = rng(opts.seed);
  const timeline: TimelinePoint[] = [];
  for (let t = 0; t < opts.seconds; t++) {
    const sent = Math.round(opts.tps * (0.9 + 0.2 * rand()));
    const failed = rand() < 0.2 ? Math.round(sent * 0.02) : 0;
    const none = rand() < 0.1; // a second in which nothing completed
    const p50 = 40 + 20 * rand();
    timeline.push({ t, sent, succeeded: none ? 0 : sent - failed, failed, p50Ms: none ? null : p50, p99Ms: none ? null : p50 * (2 + rand()) });
  }
  const submitted = timeline.reduce((s, p) => s + p.sent, 0);
  const succeeded = timeline.reduce((s, p) => s + p.succeeded, 0);
  const failed = submitted - succeeded;
  const counts = BUCKETS_MS.map((b) => (b < 20 || b > 500 ? 0 : Math.round(succeeded * (b === 50 ? 0.55 : b === 100 ? 0.35 : 0.05))));
  counts[BUCKETS_MS.length - 1] = 1; // one very slow transaction: a bar that must stay visible
  const secs = Math.max(1, opts.seconds);
  return {
    label: opts.label,
    workload: opts.workload ?? 'erc20',
    rateControl: { type: 'fixed-rate', tps: opts.tps },
    durationSec: opts.seconds,
    warmupSec: 2,
    submitted,
    succeeded,
    failed,
    failures: failed > 0 ? [{ reason: opts.reason ?? 'nonce too low', count: failed }] : [],
    sendRate: submitted / secs,
    throughput: succeeded / secs,
    latencyMs: { min: 12.5, avg: 61.2, p50: 48, p95: 120, p99: 180.4, max: 4100 },
    timeline,
    histogram: { bucketsMs: BUCKETS_MS, counts },
    resources: [
      { pid: 101, name: opts.reason ?? 'node1', cpuPercentAvg: 45.2, cpuPercentMax: 88.1, rssBytesAvg: 190 * 2 ** 20, rssBytesMax: 210 * 2 ** 20 },
      { pid: 102, name: 'node2', cpuPercentAvg: 40.1, cpuPercentMax: 70.3, rssBytesAvg: 180 * 2 ** 20, rssBytesMax: 200 * 2 ** 20 },
    ],
  };
}

export function makeResult(rounds: readonly RoundResult[], text = 'erc20'): BenchResult {
  return {
    version: 1,
    tool: { name: 'bsn bench', version: '0.1.0' },
    name: text,
    startedAt: '2026-11-22T02:00:00.000Z',
    finishedAt: '2026-11-22T02:01:05.500Z',
    machine: { cpus: 2, cpuModel: 'Intel(R) Xeon(R) Processor @ 2.10GHz', memoryBytes: 24 * 2 ** 30, node: 'v20.20.2', platform: 'linux' },
    benchFile: { path: `bench/workloads/${text}.yaml`, spec: { name: text, rounds: [{ label: text }] } },
    target: { kind: 'jsonrpc', url: 'http://127.0.0.1:43202/apps/demo/rpc', chainId: '4242', client: text },
    generator: { workers: 2, signedPerSecond: 20_000, requestsPerSecond: 15_000 },
    rounds,
  };
}
