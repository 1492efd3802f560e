import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BenchResultFileError } from './errors.js';
import { BENCH_RESULT_VERSION, type BenchResult } from './result.js';

/*
 * Reading a result file back (`bsn bench report`): its version first, so that a file of a later
 * format is refused with a clear message, then its shape, each problem with its path.
 */

const num = z.number().finite();
const latency = z.object({ min: num, avg: num, p50: num, p95: num, p99: num, max: num });
const rate = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed-rate'), tps: num }),
  z.object({ type: z.literal('fixed-load'), inFlight: num }),
  z.object({ type: z.literal('linear-ramp'), fromTps: num, toTps: num }),
]);
const round = z.object({
  label: z.string(),
  workload: z.string(),
  rateControl: rate,
  durationSec: num.optional(),
  txCount: num.optional(),
  warmupSec: num.optional(),
  warmupTx: num.optional(),
  submitted: num,
  succeeded: num,
  failed: num,
  failures: z.array(z.object({ reason: z.string(), count: num })),
  sendRate: num,
  throughput: num,
  latencyMs: latency,
  timeline: z.array(z.object({ t: num, sent: num, succeeded: num, failed: num, p50Ms: num.nullable(), p99Ms: num.nullable() })),
  histogram: z.object({ bucketsMs: z.array(num), counts: z.array(num) }),
  resources: z.array(z.object({ pid: num, name: z.string(), cpuPercentAvg: num, cpuPercentMax: num, rssBytesAvg: num, rssBytesMax: num })).optional(),
});
const resultSchema = z.object({
  version: z.literal(BENCH_RESULT_VERSION),
  tool: z.object({ name: z.literal('bsn bench'), version: z.string() }),
  name: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  machine: z.object({ cpus: num, cpuModel: z.string(), memoryBytes: num, node: z.string(), platform: z.string() }),
  benchFile: z.object({ path: z.string(), spec: z.unknown() }),
  target: z.object({ kind: z.enum(['jsonrpc', 'bsn-rest']), url: z.string(), chainId: z.string().optional(), client: z.string().optional() }),
  generator: z.object({ workers: num, signedPerSecond: num, requestsPerSecond: num }),
  rounds: z.array(round),
});

export function parseBenchResult(doc: unknown, source = 'result'): BenchResult {
  const version = doc !== null && typeof doc === 'object' ? (doc as { version?: unknown }).version : undefined;
  if (version !== BENCH_RESULT_VERSION) {
    throw new BenchResultFileError(`${source} is not a bsn bench result of version ${BENCH_RESULT_VERSION} (version: ${JSON.stringify(version) ?? 'absent'})`);
  }
  const parsed = resultSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new BenchResultFileError(`${source} is not a valid bsn bench result: ${issues.join('; ')}`);
  }
  return parsed.data as BenchResult;
}

export function readBenchResult(file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BenchResultFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BenchResultFileError(`${file} is not JSON`);
  }
  return parseBenchResult(doc, file);
}
