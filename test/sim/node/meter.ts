/**
 * Work bounds the simulator measures deterministically (no wall clock): how far past the rounds
 * honest nodes actually reached a proposer was computed (C1: the old code walked one step per
 * round, so a message claiming round 2^53 never returned), and block executions per height.
 *
 * The proposer meter wraps ValidatorSet.prototype.proposer in this process only. It also stops a
 * runaway walk before it starts: a request more than GUARD rounds past the furthest one computed
 * for that set throws, which the runner's queue reports and survives, so no run can hang.
 */
import { ValidatorSet } from '../../../src/consensus/index.js';
import { SimError } from './errors.js';

/** Far beyond any window the simulator configures, far below a walk that takes seconds (~80 ns a step). */
export const GUARD = 2_000_000;

export class RunawayProposerError extends SimError {
  readonly code = 'SIM_RUNAWAY_PROPOSER';
}

interface SetRecord {
  furthest: number;
}

export class ProposerMeter {
  /** Per validator set (one per height), the furthest round a proposer was computed for. */
  private readonly sets = new WeakMap<ValidatorSet, SetRecord>();
  /** The furthest requested round over the current run, and whether the guard tripped. */
  furthest = 0;
  runaway: string[] = [];

  reset(): void {
    this.furthest = 0;
    this.runaway = [];
  }

  observe(set: ValidatorSet, round: number): void {
    let r = this.sets.get(set);
    if (!r) this.sets.set(set, (r = { furthest: 0 }));
    if (Number.isSafeInteger(round) && round - r.furthest > GUARD) {
      this.runaway.push(`proposer of round ${round} asked for; ${round - r.furthest} steps past the furthest computed (${r.furthest})`);
      throw new RunawayProposerError(`proposer of round ${round}: refused by the simulator's work guard`);
    }
    if (round > r.furthest) r.furthest = round;
    if (round > this.furthest) this.furthest = round;
  }
}

let installed: ProposerMeter | undefined;

/** The process-wide meter (installed once). */
export function proposerMeter(): ProposerMeter {
  if (installed) return installed;
  const meter = new ProposerMeter();
  const original = ValidatorSet.prototype.proposer;
  ValidatorSet.prototype.proposer = function (this: ValidatorSet, round: number) {
    meter.observe(this, round);
    return original.call(this, round);
  };
  installed = meter;
  return meter;
}
