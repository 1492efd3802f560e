/*
 * The JSON result of `bsn bench run` (docs/bench.md, "Result file"). `bsn bench report` renders
 * it, and `version` lets a later tool refuse a file it does not understand.
 */

export const BENCH_RESULT_VERSION = 1;

export type RateControl =
  | { readonly type: 'fixed-rate'; readonly tps: number }
  | { readonly type: 'fixed-load'; readonly inFlight: number }
  | { readonly type: 'linear-ramp'; readonly fromTps: number; readonly toTps: number };

export interface LatencySummary {
  readonly min: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One second of a round's measured window (warm-up excluded); `t` counts from its start. */
export interface TimelinePoint {
  readonly t: number;
  readonly sent: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Latency of the transactions that completed in this second, ms; null when none did. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** Processes of the target on this machine, sampled from /proc during the round. */
export interface ProcessUsage {
  readonly pid: number;
  readonly name: string;
  /** Percent of one core. */
  readonly cpuPercentAvg: number;
  readonly cpuPercentMax: number;
  readonly rssBytesAvg: number;
  readonly rssBytesMax: number;
}

export interface RoundResult {
  readonly label: string;
  /** transfer | erc20 | kv-write | kv-read | smallbank | deploy | mixed */
  readonly workload: string;
  readonly rateControl: RateControl;
  /** What ended the round: its duration (s) or its transaction count. */
  readonly durationSec?: number;
  readonly txCount?: number;
  readonly warmupSec?: number;
  readonly warmupTx?: number;
  /** Counts over the measured window. */
  readonly submitted: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Failures grouped by reason, the most frequent first. */
  readonly failures: readonly { readonly reason: string; readonly count: number }[];
  /** Submitted per second, and succeeded (committed, or answered for reads) per second. */
  readonly sendRate: number;
  readonly throughput: number;
  /** Submit → commit (writes) or request → answer (reads), ms, over succeeded transactions. */
  readonly latencyMs: LatencySummary;
  readonly timeline: readonly TimelinePoint[];
  /** Latency histogram: counts[i] transactions took at most bucketsMs[i] (and more than bucketsMs[i-1]). */
  readonly histogram: { readonly bucketsMs: readonly number[]; readonly counts: readonly number[] };
  readonly resources?: readonly ProcessUsage[];
}

export interface BenchResult {
  readonly version: typeof BENCH_RESULT_VERSION;
  readonly tool: { readonly name: 'bsn bench'; readonly version: string };
  readonly name: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryBytes: number; readonly node: string; readonly platform: string };
  /** The bench file as given, resolved (defaults filled in). */
  readonly benchFile: { readonly path: string; readonly spec: unknown };
  readonly target: { readonly kind: 'jsonrpc' | 'bsn-rest'; readonly url: string; readonly chainId?: string; readonly client?: string };
  /**
   * The load generator's own ceiling, measured in the same run: how many pre-signed transactions
   * per second its workers produce, and how many requests per second it sends to a sink that
   * answers at once. The figures are only about the target while throughput stays well below both.
   */
  readonly generator: { readonly workers: number; readonly signedPerSecond: number; readonly requestsPerSecond: number };
  readonly rounds: readonly RoundResult[];
}
