/**
 * What the run did, and the invariants it must keep: agreement, validity, certificate validity,
 * honest non-equivocation, liveness after the network heals, and no empty blocks.
 */
import type { Suite } from '../../src/crypto/index.js';
import { messageSlot, ValidatorSet, verifyCommitCertificate, type CommitCertificate, type ConsensusMessage } from '../../src/consensus/index.js';
import type { TestValidator } from './keys.js';
import { testValidator } from './keys.js';
import type { Behaviour, Scenario } from './scenario.js';

export interface Decision {
  readonly height: number;
  readonly round: number;
  readonly value: Uint8Array;
  readonly valueId: string;
  readonly certificate: CommitCertificate;
}

/** Extra rounds a height may need after the network heals before liveness counts as lost. */
export const LIVENESS_ROUNDS = 6;

export class Ledger {
  readonly violations: string[] = [];
  private readonly valsets: ValidatorSet[] = [];
  private readonly proposedIds = new Set<string>();
  private readonly decisions = new Map<number, Map<number, Decision>>(); // instance -> height -> decision
  private readonly firstDecided = new Map<number, { valueId: string; time: number }>();
  private readonly honestSlots = new Map<string, string>();
  private readonly honest = new Set<number>();
  private readonly heal = new Map<number, { height: number; round: number }>();
  private counter = 0;
  private readonly proposalPol = new Map<string, number>();
  private readonly locks = new Map<string, { round: number; valueId: string }>();
  maxRoundsAfterHeal = 0;
  evidenceCount = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly members: readonly TestValidator[],
    private readonly chainId: string,
    private readonly suite: Suite,
  ) {
    this.valsets[1] = ValidatorSet.genesis(members.map((m) => m.validator));
    let id = 0;
    for (const b of scenario.behaviours) {
      if (b === 'honest') this.honest.add(id);
      id += b === 'twins' ? 2 : 1;
    }
    for (let i = 0; i < id; i++) this.decisions.set(i, new Map());
  }

  violation(text: string): void {
    if (this.violations.length < 20) this.violations.push(text);
  }

  validatorsAt(height: number): ValidatorSet {
    for (let h = this.valsets.length; h <= height; h++) {
      const previous = this.valsets[h - 1]!;
      const updates = (this.scenario.valsetChanges.get(h) ?? []).map(([i, power]) => ({ ...testValidator(i).validator, power }));
      const remaining = new Set(previous.validators.map((v) => v.address));
      for (const u of updates) {
        if (u.power === 0n) remaining.delete(u.address);
        else remaining.add(u.address);
      }
      this.valsets[h] = remaining.size > 0 ? previous.next(updates) : previous.next();
    }
    return this.valsets[height]!;
  }

  makeValue(height: number, round: number, instance: number): Uint8Array {
    return new TextEncoder().encode(`v|${height}|${round}|${instance}|${this.counter++}`);
  }

  isValid(height: number, value: Uint8Array): boolean {
    return new TextDecoder().decode(value.subarray(0, 24)).startsWith(`v|${height}|`);
  }

  proposed(valueId: string): void {
    this.proposedIds.add(valueId);
  }

  sent(behaviour: Behaviour, m: ConsensusMessage, _time: number): void {
    if (m.kind === 'proposal') {
      this.proposedIds.add(m.valueId);
      const key = `${m.height}/${m.round}/${m.valueId}`;
      this.proposalPol.set(key, Math.max(this.proposalPol.get(key) ?? -1, m.validRound));
    }
    if (behaviour !== 'honest') return;
    this.checkLock(m);
    const signer = m.kind === 'vote' ? m.validator : m.proposer;
    const key = `${signer}/${m.height}/${messageSlot(m)}`;
    const print = m.kind === 'vote' ? String(m.valueId) : `${m.valueId}/${m.validRound}`;
    const before = this.honestSlots.get(key);
    if (before !== undefined && before !== print) this.violation(`honest validator ${signer} signed two messages for ${key}`);
    this.honestSlots.set(key, print);
  }

  /**
   * Lock discipline, judged from outside: after an honest validator precommits v in round r,
   * it may prevote another value only for a proposal whose proof-of-lock round is ≥ r (L29).
   * Agreement needs an unlucky schedule to break when this rule is missing; this catches the
   * missing rule itself.
   */
  private checkLock(m: ConsensusMessage): void {
    if (m.kind !== 'vote' || m.valueId === null) return;
    const key = `${m.validator}/${m.height}`;
    const lock = this.locks.get(key);
    if (m.type === 'precommit') {
      if (!lock || lock.round < m.round) this.locks.set(key, { round: m.round, valueId: m.valueId });
      return;
    }
    if (!lock || lock.valueId === m.valueId || m.round <= lock.round) return;
    const pol = this.proposalPol.get(`${m.height}/${m.round}/${m.valueId}`) ?? -1;
    if (pol < lock.round) this.violation(`lock: ${m.validator} locked on ${lock.valueId.slice(0, 8)} in round ${lock.round} of height ${m.height} but prevoted ${m.valueId.slice(0, 8)} in round ${m.round} (proof of lock round ${pol})`);
  }

  evidence(offender: string): void {
    this.evidenceCount++;
    const accused = this.members.find((m) => m.validator.address === offender);
    if (accused && this.scenario.behaviours[accused.index] === 'honest') this.violation(`evidence against honest validator ${offender}`);
  }

  /** Records where each honest instance stood when the network healed. */
  healed(positions: ReadonlyMap<number, { height: number; round: number }>): void {
    for (const [id, p] of positions) this.heal.set(id, p);
  }

  decided(instance: number, behaviour: Behaviour, d: Decision, time: number): void {
    this.decisions.get(instance)!.set(d.height, d);
    if (behaviour !== 'honest') return;
    const first = this.firstDecided.get(d.height);
    if (!first) this.firstDecided.set(d.height, { valueId: d.valueId, time });
    else if (first.valueId !== d.valueId) this.violation(`agreement: height ${d.height} decided ${first.valueId.slice(0, 12)} and ${d.valueId.slice(0, 12)}`);
    if (!this.proposedIds.has(d.valueId)) this.violation(`validity: height ${d.height} decided a value nobody proposed`);
    if (!this.isValid(d.height, d.value)) this.violation(`validity: height ${d.height} decided an invalid value`);
    try {
      if (d.certificate.valueId !== d.valueId || d.certificate.height !== d.height) throw new Error('certificate is for another block');
      verifyCommitCertificate(d.certificate, this.validatorsAt(d.height), this.suite, this.chainId);
    } catch (error) {
      this.violation(`certificate: height ${d.height} at instance ${instance}: ${(error as Error).message}`);
    }
    const atHeal = this.heal.get(instance);
    if (atHeal && time >= this.scenario.healAt) {
      const rounds = d.round - (atHeal.height === d.height ? atHeal.round : 0);
      this.maxRoundsAfterHeal = Math.max(this.maxRoundsAfterHeal, rounds);
      if (rounds > LIVENESS_ROUNDS) this.violation(`liveness: height ${d.height} took ${rounds} rounds after the network healed`);
    }
  }

  lastDecided(instance: number): number {
    let h = 0;
    const mine = this.decisions.get(instance)!;
    while (mine.has(h + 1)) h++;
    return h;
  }

  maxHonestHeight(): number {
    return Math.max(0, ...[...this.honest].map((i) => this.lastDecided(i)));
  }

  minHonestHeight(): number {
    return this.honest.size === 0 ? 0 : Math.min(...[...this.honest].map((i) => this.lastDecided(i)));
  }

  /** Invariants that can only be judged at the end of a run. */
  finish(target: number): void {
    const reached = this.minHonestHeight();
    if (reached < target) this.violation(`liveness: honest validators reached height ${reached}, not ${target}, before the deadline`);
    if (this.scenario.load !== 'sparse') return;
    for (const [height, { time }] of this.firstDecided) {
      const burst = this.scenario.txBursts[height - 1];
      if (burst === undefined || time < burst) this.violation(`empty block: height ${height} decided at ${time.toFixed(0)} ms before its transactions arrived`);
    }
  }
}
