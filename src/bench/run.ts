import { createRequire } from 'node:module';
import os from 'node:os';
import { drive } from './driver.js';
import { BenchTargetRejectedError } from './errors.js';
import { JsonRpcTarget } from './jsonrpc-target.js';
import type { ProgressSink } from './progress.js';
import { RoundRecorder } from './recorder.js';
import { findListeningPids, ResourceSampler } from './resources.js';
import { RestTarget } from './rest-target.js';
import { BENCH_RESULT_VERSION, type BenchResult, type RoundResult } from './result.js';
import { SignerPool } from './signer.js';
import { measureRequestRate, startSink } from './sink.js';
import { DEV_FUNDER_KEY, type BenchSpec, type RoundSpec } from './spec.js';
import { roundWrites, type BenchTarget } from './target.js';

/*
 * `runBench`: the engine behind `bsn bench run` (docs/bench.md). Probe the target, set it up, measure
 * the generator's ceiling, then for each round pre-sign its transactions on the workers, drive
 * it, and collect its figures.
 */

export interface RunOptions {
  /** The bench file's path, recorded in the result. */
  readonly benchFile?: string;
  /** The live display; runBench calls round() and tick(), the caller calls end(). */
  readonly progress?: ProgressSink;
  /** Processes whose CPU and memory are sampled: 'auto' (default) = those listening on the target's port; 'none'; or pids. */
  readonly pids?: 'auto' | 'none' | readonly number[];
  /** Notes for the user (the CLI prints them on stderr). */
  readonly log?: (line: string) => void;
  /** How long the generator's request ceiling is measured, ms (default 1,500; 0 skips it). */
  readonly calibrationMs?: number;
}

const TOOL_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export function createTarget(spec: BenchSpec): BenchTarget {
  return spec.target.type === 'jsonrpc' ? new JsonRpcTarget(spec.target.url, spec) : new RestTarget(spec.target, spec);
}

function targetPids(spec: BenchSpec, option: RunOptions['pids'], log: (line: string) => void): number[] {
  if (option === 'none') return [];
  if (Array.isArray(option)) return [...option];
  const url = new URL(spec.target.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const found = findListeningPids(port);
  // An in-process target (tests) would be sampled together with the generator: leave it out.
  const pids = found.filter((p) => p !== process.pid);
  if (found.length === 0 && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) log(`no process of ours listens on port ${port}: no resource figures (use --pids)`);
  return pids;
}

/** The spec as recorded in the result: secrets left out. */
function recordedSpec(spec: BenchSpec): unknown {
  const target = spec.target.type === 'bsn-rest' && spec.target.passphrase !== undefined ? { ...spec.target, passphrase: '(redacted)' } : spec.target;
  const funder = spec.funder.key === DEV_FUNDER_KEY ? spec.funder : { ...spec.funder, key: '(redacted)' };
  return { ...spec, target, funder };
}

export async function runBench(spec: BenchSpec, options: RunOptions = {}): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const log = options.log ?? (() => undefined);
  const target = createTarget(spec);
  try {
    await target.probe();
    await target.setup(spec.rounds);
    const pids = targetPids(spec, options.pids, log);
    const pool = await SignerPool.start(spec.workers ?? Math.max(1, os.availableParallelism()));
    try {
      const requestsPerSecond = await calibrate(target, options.calibrationMs ?? 1_500);
      const rounds: RoundResult[] = [];
      for (const [i, round] of spec.rounds.entries()) {
        rounds.push(await runRound(target, pool, round, i, { spec, pids, options, log }));
        await target.afterRound();
      }
      const cpus = os.cpus();
      return {
        version: BENCH_RESULT_VERSION,
        tool: { name: 'bsn bench', version: TOOL_VERSION },
        name: spec.name,
        startedAt,
        finishedAt: new Date().toISOString(),
        machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), node: process.version, platform: `${process.platform}-${process.arch}` },
        benchFile: { path: options.benchFile ?? '(inline)', spec: recordedSpec(spec) },
        target: { kind: target.kind, url: target.url, ...(target.chainId !== undefined && { chainId: target.chainId }), ...(target.client !== undefined && { client: target.client }) },
        generator: { workers: pool.size, signedPerSecond: Math.round(pool.signedPerSecond()), requestsPerSecond: Math.round(requestsPerSecond) },
        rounds,
      };
    } finally {
      await pool.close();
    }
  } finally {
    await target.close();
  }
}

async function calibrate(target: BenchTarget, ms: number): Promise<number> {
  if (ms <= 0) return 0;
  const sink = await startSink();
  try {
    return await measureRequestRate(target.calibrationJob(sink.url), ms);
  } finally {
    await sink.close();
  }
}

interface RoundContext {
  readonly spec: BenchSpec;
  readonly pids: readonly number[];
  readonly options: RunOptions;
  readonly log: (line: string) => void;
}

async function runRound(target: BenchTarget, pool: SignerPool, round: RoundSpec, index: number, ctx: RoundContext): Promise<RoundResult> {
  const source = await target.prepare(round, index, roundWrites(round), pool);
  const recorder = new RoundRecorder();
  const progress = ctx.options.progress;
  progress?.round(round.label);
  const started = performance.now();
  const sampler = ctx.pids.length > 0 ? new ResourceSampler(ctx.pids, 1_000) : undefined;
  sampler?.start();
  const ticker = setInterval(() => {
    const now = performance.now();
    progress?.tick({ elapsedSec: (now - started) / 1000, submitted: recorder.sentAll, succeeded: recorder.succeededAll, failed: recorder.failedAll, inFlight: recorder.sentAll - recorder.completedAll, ...recorder.recentFigures(now) });
  }, 200);
  let report;
  let resources;
  try {
    report = await drive({
      rate: round.rate,
      ...(round.duration !== undefined && { durationSec: round.duration }),
      ...(round.txCount !== undefined && { txCount: round.txCount }),
      ...(round.warmup !== undefined && { warmupSec: round.warmup }),
      ...(round.warmupTx !== undefined && { warmupTx: round.warmupTx }),
      source,
      recorder,
      drainMs: ctx.spec.timeoutSec * 1000 + 5_000,
    });
  } finally {
    clearInterval(ticker);
    resources = sampler?.stop();
  }
  if (recorder.succeededAll === 0 && recorder.completedAll > 0) {
    throw new BenchTargetRejectedError(`round '${round.label}': no transaction succeeded: ${recorder.topReasons()}`);
  }
  if (report.ranDry) ctx.log(`round '${round.label}': its pre-signed transactions ran out before its end (raise maxTx, or accounts for per-sender limits)`);
  // An open loop that falls behind measures less than it was asked to; say so.
  if (report.maxLagMs > 100) ctx.log(`round '${round.label}': sends went out up to ${report.maxLagMs} ms behind schedule (senders waiting for their previous tx: more accounts help)`);
  const figures = recorder.figures(report.windowSec);
  return {
    label: round.label,
    workload: round.workload,
    rateControl: round.rate,
    ...(round.duration !== undefined && { durationSec: round.duration }),
    ...(round.txCount !== undefined && { txCount: round.txCount }),
    ...(round.warmup !== undefined && { warmupSec: round.warmup }),
    ...(round.warmupTx !== undefined && { warmupTx: round.warmupTx }),
    ...figures,
    ...(resources && resources.length > 0 && { resources }),
  };
}
