/**
 * What every run checks beyond the validity oracle (reference.ts): per-height memory and work
 * bounds while it runs, and at the end agreement and certificates over the stores and liveness
 * after the heal.
 */
import { decodeCommitCertificate, valueIdOf, verifyCommitCertificate, verifyProposalSignature, verifyVoteSignature, type ConsensusMessage } from '../../../src/consensus/index.js';
import type { Cluster, SimNode } from './cluster.js';
import { CHAIN_ID, ROUNDS_AHEAD } from './config.js';
import { futureMessages, runnerSizes } from './internals.js';
import type { ProposerMeter } from './meter.js';

/** Next-height messages the driver keeps per signer, and proposals the runner holds. */
const FUTURE_PER_SIGNER = 64;
const MAX_HELD = 16;
/** Liveness: heights every honest node commits after the heal. */
export const HEIGHTS_AFTER_HEAL = 2;

export interface BoundFigures {
  maxRound: number;
  maxKeeperRounds: number;
  maxFuture: number;
  maxCandidates: number;
  maxExecutionsPerHeight: number;
}

export class Bounds {
  readonly violations: string[] = [];
  readonly figures: BoundFigures = { maxRound: 0, maxKeeperRounds: 0, maxFuture: 0, maxCandidates: 0, maxExecutionsPerHeight: 0 };
  private readonly seen = new Set<string>();
  private readonly checkedFuture = new WeakSet<ConsensusMessage>();
  private anyRound = 0;

  constructor(
    private readonly c: Cluster,
    private readonly meter: ProposerMeter,
  ) {}

  private violate(key: string, text: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.violations.push(text);
  }

  /** After every event: the per-height state of every honest runner stays within its bounds. */
  sample(): void {
    const f = this.figures;
    for (const node of this.c.honest) {
      const runner = node.runner;
      if (!node.online || !runner) continue;
      const s = runnerSizes(runner);
      for (const [k, v] of Object.entries(s)) if (v === -1 && k !== 'round' && k !== 'height') this.violate(`internals/${k}`, `internals: ${k} of the runner could not be read (a field was renamed?)`);
      const where = `${node.name} at height ${s.height + 1} round ${s.round}`;
      const roundBound = s.round + ROUNDS_AHEAD + 1;
      f.maxRound = Math.max(f.maxRound, s.round);
      f.maxKeeperRounds = Math.max(f.maxKeeperRounds, s.keeperRounds);
      f.maxFuture = Math.max(f.maxFuture, s.future);
      f.maxCandidates = Math.max(f.maxCandidates, s.candidates);
      if (s.keeperRounds > roundBound) this.violate(`keeper/${node.name}`, `memory: ${where} keeps votes of ${s.keeperRounds} rounds (bound ${roundBound})`);
      if (s.proposalRounds > roundBound) this.violate(`proposals/${node.name}`, `memory: ${where} keeps proposals of ${s.proposalRounds} rounds (bound ${roundBound})`);
      if (s.future > FUTURE_PER_SIGNER * this.c.nodes.length) this.violate(`future/${node.name}`, `memory: ${where} keeps ${s.future} next-height messages`);
      if (s.held > MAX_HELD) this.violate(`held/${node.name}`, `memory: ${where} holds ${s.held} next-height proposals`);
      const perHeight = 5 * (s.round + 1) + 5;
      if (s.candidates > perHeight || s.validity > perHeight) this.violate(`candidates/${node.name}`, `memory: ${where} keeps ${s.candidates} executed candidates, ${s.validity} verdicts (bound ${perHeight})`);
      for (const m of futureMessages(runner)) this.checkFuture(node, m, s.height + 1);
    }
    // Any runner may compute proposers up to its own round + the window, the Byzantine ones too.
    for (const node of this.c.nodes) if (node.online && node.runner) this.anyRound = Math.max(this.anyRound, node.runner.round);
    const furthest = this.anyRound + ROUNDS_AHEAD + 1;
    if (this.meter.furthest > furthest) this.violate('proposer', `work: a proposer was computed for round ${this.meter.furthest}, past every honest round + window (${furthest})`);
    for (const r of this.meter.runaway) this.violate('runaway', `work: ${r}`);
  }

  /** A kept next-height message is signed by a member of the driver's height's set or of the next one's. */
  private checkFuture(node: SimNode, m: ConsensusMessage, height: number): void {
    if (this.checkedFuture.has(m)) return;
    this.checkedFuture.add(m);
    const signer = m.kind === 'vote' ? m.validator : m.proposer;
    const v = this.c.sets.at(height).get(signer) ?? this.c.sets.at(m.height).get(signer);
    const suite = this.c.genesis.suite;
    const ok = v && (m.kind === 'vote' ? verifyVoteSignature(suite, v.publicKey, m, CHAIN_ID) : verifyProposalSignature(suite, v.publicKey, m, CHAIN_ID));
    if (!ok) this.violate(`futureSig/${node.name}`, `memory: ${node.name} keeps an unauthenticated next-height ${m.kind} (signer ${signer.slice(0, 8)})`);
  }

  /** At an honest commit: block executions at that height stay proportional to the rounds it took. */
  onCommit(node: SimNode, height: number): void {
    const execs = node.executions.get(height) ?? 0;
    node.executions.delete(height - 1);
    this.figures.maxExecutionsPerHeight = Math.max(this.figures.maxExecutionsPerHeight, execs);
    const round = node.runner?.round ?? 0;
    const bound = 5 * (round + 1) + 5;
    if (execs > bound) this.violate(`execs/${node.name}`, `work: ${node.name} executed ${execs} blocks for height ${height}, decided in round ${round} (bound ${bound})`);
  }
}

/** Agreement and certificates (against the set of their height) over every honest store, and liveness after the heal. */
export async function finalChecks(c: Cluster, healHeight: number): Promise<string[]> {
  const out: string[] = [];
  const suite = c.genesis.suite;
  const top = Math.max(...c.honest.map((n) => n.height));
  for (let h = 1; h <= top; h++) {
    let first: { id: string; by: string } | undefined;
    for (const node of c.honest) {
      const block = await node.store?.block(h);
      if (!block) continue;
      const id = valueIdOf(suite, block);
      if (first && first.id !== id) out.push(`agreement: height ${h} is ${first.id.slice(0, 12)} at ${first.by} but ${id.slice(0, 12)} at ${node.name}`);
      first ??= { id, by: node.name };
      try {
        const cert = decodeCommitCertificate((await node.store!.certificate(h))!);
        verifyCommitCertificate(cert, c.sets.at(h), suite, CHAIN_ID);
        if (cert.height !== h || cert.valueId !== id) out.push(`validity: ${node.name} stores for height ${h} a certificate of height ${cert.height} / block ${cert.valueId.slice(0, 12)}`);
      } catch (err) {
        out.push(`validity: ${node.name}'s certificate of height ${h} does not verify: ${(err as Error).message}`);
      }
    }
  }
  for (const node of c.honest) {
    if (node.height < healHeight + HEIGHTS_AFTER_HEAL) {
      out.push(`liveness: ${node.name} is at height ${node.height} at the end; ${HEIGHTS_AFTER_HEAL} past the height at the heal (${healHeight}) were due`);
    }
  }
  return out;
}
