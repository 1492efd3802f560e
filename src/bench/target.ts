import type { Job } from './driver.js';
import type { SignerPool } from './signer.js';
import type { SenderQueues } from './source.js';
import type { RoundSpec } from './spec.js';

/** A system under test, as the engine drives it: JSON-RPC (jsonrpc-target.ts) or the BSN REST gateway (rest-target.ts). */
export interface BenchTarget {
  readonly kind: 'jsonrpc' | 'bsn-rest';
  readonly url: string;
  /** Chain id and client name once probed. */
  readonly chainId?: string;
  readonly client?: string;
  /** Checks that the target answers; a typed error naming the URL otherwise. Not measured. */
  probe(): Promise<void>;
  /** Accounts, funding, contracts, seeded keys for the given rounds; waits until all of it committed. Not measured. */
  setup(rounds: readonly RoundSpec[]): Promise<void>;
  /** Signs `writes` transactions of the round on the workers and returns its jobs. */
  prepare(round: RoundSpec, index: number, writes: number, signer: SignerPool): Promise<SenderQueues>;
  /** Between rounds: let pending work settle and re-read what the next round needs (nonces). */
  afterRound(): Promise<void>;
  /** A request like the round's, sent to `sinkUrl` instead, for the generator's ceiling. */
  calibrationJob(sinkUrl: string): () => Job;
  close(): Promise<void>;
}

/** How many transactions a round sends at most, warm-up included (an upper bound for pre-signing). */
export function roundTxBudget(round: RoundSpec): number {
  const warmTx = round.warmupTx ?? 0;
  if (round.txCount !== undefined) {
    const warmByTime = round.warmup !== undefined ? Math.ceil(rateBound(round) * round.warmup) : 0;
    return warmTx + warmByTime + round.txCount;
  }
  const seconds = round.duration! + (round.warmup ?? 0);
  const rate = round.rate;
  if (rate.type === 'fixed-rate') return warmTx + Math.ceil(rate.tps * seconds) + 1;
  if (rate.type === 'linear-ramp') return warmTx + Math.ceil(rate.fromTps * (round.warmup ?? 0) + ((rate.fromTps + rate.toTps) / 2) * round.duration!) + 1;
  return round.maxTx ?? Math.min(200_000, Math.ceil(rate.inFlight * 100 * seconds));
}

function rateBound(round: RoundSpec): number {
  const r = round.rate;
  if (r.type === 'fixed-rate') return r.tps;
  if (r.type === 'linear-ramp') return Math.max(r.fromTps, r.toTps);
  return r.inFlight * 100;
}

/** Writes to pre-sign for a round: all of its budget, or the write share of a mixed round with a margin. */
export function roundWrites(round: RoundSpec): number {
  const budget = roundTxBudget(round);
  if (round.workload === 'kv-read') return 0;
  if (round.workload !== 'mixed') return budget;
  return Math.min(budget, Math.ceil(budget * (1 - round.readRatio) * 1.1 + 20));
}
