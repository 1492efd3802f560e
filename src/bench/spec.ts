import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { BenchFileError } from './errors.js';

/*
 * The bench file (docs/bench.md, "Bench file"): YAML or JSON, checked with zod so that every
 * problem is reported with its path. Defaults are filled in here, and the resolved spec is what
 * the result file records.
 */

/** Hardhat's development account 0 ("test test … junk"); `bsn up` and `hardhat node` both fund it. */
export const DEV_FUNDER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export const JSONRPC_WORKLOADS = ['transfer', 'erc20', 'smallbank', 'deploy', 'mixed'] as const;
export const REST_WORKLOADS = ['kv-write', 'kv-read', 'mixed'] as const;
const WORKLOADS = ['transfer', 'erc20', 'smallbank', 'deploy', 'mixed', 'kv-write', 'kv-read'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

const positive = z.number().positive();
const count = z.number().int().positive();
const url = z.string().regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// URL');

const rateSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed-rate'), tps: positive.max(1_000_000) }),
  z.strictObject({ type: z.literal('fixed-load'), inFlight: count.max(100_000) }),
  z.strictObject({ type: z.literal('linear-ramp'), fromTps: positive.max(1_000_000), toTps: positive.max(1_000_000) }),
]);

const roundSchema = z
  .strictObject({
    label: z.string().min(1).max(200),
    workload: z.enum(WORKLOADS),
    rate: rateSchema,
    /** Seconds of the measured window (after the warm-up). */
    duration: positive.max(86_400).optional(),
    /** Transactions of the measured window (after the warm-up). */
    txCount: count.max(10_000_000).optional(),
    /** Warm-up, excluded from the figures: seconds, or a number of transactions. */
    warmup: z.number().min(0).max(3_600).optional(),
    warmupTx: z.number().int().min(0).max(1_000_000).optional(),
    /** mixed: the share of reads (eth_call balanceOf, or GET state on kv). */
    readRatio: z.number().min(0).max(1).default(0.5),
    /** smallbank: customers the operations pick from. */
    customers: count.max(10_000_000).default(1_000),
    /** kv-write: bytes of each value. */
    valueBytes: z.number().int().min(0).max(65_536).default(32),
    /** fixed-load with a duration: the most transactions pre-signed (the round ends early if they run out). */
    maxTx: count.max(2_000_000).optional(),
  })
  .superRefine((round, ctx) => {
    if ((round.duration === undefined) === (round.txCount === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give exactly one of duration (seconds) and txCount' });
    }
    if (round.warmup !== undefined && round.warmupTx !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['warmupTx'], message: 'give at most one of warmup (seconds) and warmupTx' });
    }
    if (round.rate.type === 'linear-ramp' && round.duration === undefined) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'a linear ramp needs a duration' });
    }
  });

const jsonrpcTarget = z.strictObject({ type: z.literal('jsonrpc'), url });
const restTarget = z.strictObject({
  type: z.literal('bsn-rest'),
  /** The gateway's base URL, e.g. http://127.0.0.1:27002. */
  url,
  app: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an app chain id'),
  /** PEM files of a user or org certificate and its key, relative to the bench file. */
  cert: z.string().min(1),
  key: z.string().min(1),
  passphrase: z.string().optional(),
});

export const benchSpecSchema = z.strictObject({
  name: z.string().min(1).max(200),
  target: z.discriminatedUnion('type', [jsonrpcTarget, restTarget]),
  accounts: count.max(100_000).default(50),
  funder: z
    .strictObject({
      key: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte private key, 0x-hex').default(DEV_FUNDER_KEY),
      /** Ether given to each account. */
      amountEth: z.number().positive().max(1_000_000).default(10),
    })
    .prefault({}),
  /** Signing worker threads; default: the number of cores. */
  workers: z.number().int().min(1).max(64).optional(),
  /** A transaction not committed after this many seconds counts as failed ("timeout"). */
  timeoutSec: positive.max(3_600).default(30),
  /** JSON-RPC: how often new blocks are polled, ms (the resolution of commit latency). */
  pollMs: z.number().int().min(5).max(10_000).default(20),
  /** At most this many of one sender's transactions accepted but not yet committed. */
  maxPendingPerSender: count.max(1_024).default(8),
  /** JSON-RPC: transaction type; auto = EIP-1559 when the latest block has a base fee. */
  txType: z.enum(['auto', 'legacy', 'eip1559']).default('auto'),
  rounds: z.array(roundSchema).min(1).max(100),
});

export type BenchSpec = z.output<typeof benchSpecSchema>;
export type RoundSpec = BenchSpec['rounds'][number];
export type TargetSpec = BenchSpec['target'];

function issuePath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}

/** Checks a parsed document (from YAML or JSON); `source` names it in messages. */
export function parseBenchSpec(doc: unknown, source = 'bench file'): BenchSpec {
  const parsed = benchSpecSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
    throw new BenchFileError(`${source} is invalid: ${issues.join('; ')}`, issues);
  }
  checkWorkloads(parsed.data, source);
  return parsed.data;
}

/** Each round's workload must suit the target kind (kv on bsn-rest, EVM workloads on JSON-RPC). */
export function checkWorkloads(spec: BenchSpec, source = 'bench file'): void {
  const allowed: readonly string[] = spec.target.type === 'jsonrpc' ? JSONRPC_WORKLOADS : REST_WORKLOADS;
  const issues = spec.rounds.flatMap((r, i) => (allowed.includes(r.workload) ? [] : [`rounds[${i}].workload: '${r.workload}' does not run on a ${spec.target.type} target (one of ${allowed.join(', ')})`]));
  if (issues.length > 0) throw new BenchFileError(`${source} is invalid: ${issues.join('; ')}`, issues);
}

/** YAML whose warnings (unknown tags, directives) are errors too: in a bench file they are mistakes. */
function parseYamlStrict(text: string): unknown {
  const doc = parseDocument(text, { logLevel: 'silent', prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  return doc.toJS({ maxAliasCount: 100 });
}

/** Reads a .yaml/.yml/.json bench file; relative cert/key paths are resolved against its folder. */
export function loadBenchFile(file: string): BenchSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BenchFileError(`cannot read bench file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYamlStrict(text);
  } catch (err) {
    throw new BenchFileError(`${file} does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const spec = parseBenchSpec(doc, file);
  if (spec.target.type !== 'bsn-rest') return spec;
  const dir = path.dirname(path.resolve(file));
  return { ...spec, target: { ...spec.target, cert: path.resolve(dir, spec.target.cert), key: path.resolve(dir, spec.target.key) } };
}

/**
 * `--target URL` replaces the file's URL. A URL whose path ends in /rpc is a JSON-RPC endpoint;
 * any other URL keeps the file's target kind (a Hardhat node answers JSON-RPC at `/`).
 */
export function overrideTarget(spec: BenchSpec, targetUrl: string): BenchSpec {
  if (!url.safeParse(targetUrl).success) throw new BenchFileError(`--target ${targetUrl} is not an http:// or https:// URL`, [`target.url: not a URL`]);
  const rpc = /\/rpc\/?$/.test(new URL(targetUrl).pathname);
  const target: TargetSpec = rpc || spec.target.type === 'jsonrpc' ? { type: 'jsonrpc', url: targetUrl } : { ...spec.target, url: targetUrl };
  const next = { ...spec, target };
  checkWorkloads(next, `--target ${targetUrl}`);
  return next;
}
