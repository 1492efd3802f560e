import { GovInvalidArgumentError } from './errors.js';
import type { GovAction, ProposalRecord, RuleClause, RuleRecord, Threshold, VoteRecord } from './types.js';

/*
 * The rules language: a rule lists clauses, each a set of voters (with weights) and a threshold.
 * When a proposal is made its rule is resolved into concrete voters and stored in the proposal,
 * so later changes of the registry (a new operator, a new rule) do not move the goalposts.
 */

const clause = (voters: RuleClause['voters'], threshold: Threshold): RuleClause => ({ voters, threshold });
const AUTHORITY_ALL = clause('authority', 'ALL');
const OPERATORS_MAJORITY = clause('operators', 'MAJORITY');
const CONCERNED_ALL = clause('concerned-operators', 'ALL');
const APP_OWNER_ANY = clause('app-owner', 'ANY');

/** The rule of each action when the genesis names none for it. */
export const DEFAULT_RULES: readonly RuleRecord[] = Object.freeze([
  { action: 'admit-operator', clauses: [AUTHORITY_ALL, OPERATORS_MAJORITY] },
  { action: 'suspend-operator', clauses: [AUTHORITY_ALL, OPERATORS_MAJORITY] },
  { action: 'remove-operator', clauses: [AUTHORITY_ALL, OPERATORS_MAJORITY] },
  { action: 'add-node', clauses: [CONCERNED_ALL, OPERATORS_MAJORITY] },
  { action: 'suspend-node', clauses: [CONCERNED_ALL, OPERATORS_MAJORITY] },
  { action: 'remove-node', clauses: [CONCERNED_ALL, OPERATORS_MAJORITY] },
  { action: 'register-org', clauses: [clause('concerned-operators', 'ANY')] },
  { action: 'suspend-org', clauses: [clause('concerned-operators', 'ANY')] },
  { action: 'revoke', clauses: [OPERATORS_MAJORITY] },
  { action: 'set-plan', clauses: [AUTHORITY_ALL] },
  { action: 'set-rule', clauses: [AUTHORITY_ALL, clause('operators', 'ALL')] },
  { action: 'create-app', clauses: [CONCERNED_ALL] },
  { action: 'invite-member', clauses: [APP_OWNER_ANY] },
  { action: 'join-app', clauses: [APP_OWNER_ANY] },
  { action: 'remove-member', clauses: [APP_OWNER_ANY] },
  { action: 'add-app-user', clauses: [APP_OWNER_ANY] },
  { action: 'remove-app-user', clauses: [APP_OWNER_ANY] },
  { action: 'place-app', clauses: [CONCERNED_ALL, APP_OWNER_ANY] },
  { action: 'freeze-app', clauses: [OPERATORS_MAJORITY] },
  { action: 'unfreeze-app', clauses: [OPERATORS_MAJORITY] },
  { action: 'retire-app', clauses: [OPERATORS_MAJORITY] },
] satisfies RuleRecord[]);

/** What a rule's voter specs resolve against, at the time of the proposal. */
export interface VoterContext {
  /** Names of the active operators. */
  readonly operators: readonly string[];
  /** The operators the action concerns; 'root' when the root is the issuer (revoking an operator CA). */
  readonly concerned: readonly string[] | 'root';
  readonly appOwner?: string;
  /** Whether a name is a registered voter (authority, an active operator or org). */
  readonly isVoter: (name: string) => boolean;
}

export type ResolvedClause = ProposalRecord['clauses'][number];

/** The rule's clauses with concrete voters and weights; throws when a clause has no voter. */
export function resolveRule(rule: RuleRecord, ctx: VoterContext): ResolvedClause[] {
  return rule.clauses.map((c, i) => {
    let names: readonly string[];
    let threshold = c.threshold;
    const v = c.voters;
    if (v === 'authority') names = ['authority'];
    else if (v === 'operators') names = ctx.operators;
    else if (v === 'concerned-operators') {
      // An operator CA's issuer is the root, which cannot vote: the operators together decide.
      if (ctx.concerned === 'root') [names, threshold] = [ctx.operators, 'MAJORITY'];
      else names = ctx.concerned;
    } else if (v === 'app-owner') names = ctx.appOwner === undefined ? [] : [ctx.appOwner];
    else names = v.identities.filter(ctx.isVoter);
    const unique = [...new Set(names)].sort();
    if (unique.length === 0) throw new GovInvalidArgumentError(`clause ${i} of the ${rule.action} rule has no voter`);
    // Own properties only: a voter named 'constructor' must not weigh Object.prototype.constructor.
    const weightOf = (name: string): number => (c.weights !== undefined && Object.hasOwn(c.weights, name) ? c.weights[name]! : 1);
    return { voters: unique.map((name) => ({ name, weight: weightOf(name) })), threshold };
  });
}

/** Every voter of the resolved clauses. */
export function votersOf(clauses: readonly ResolvedClause[]): Set<string> {
  return new Set(clauses.flatMap((c) => c.voters.map((v) => v.name)));
}

interface Tally {
  readonly yesWeight: number;
  readonly yesCount: number;
  /** Weight and count of the voters that have not voted. */
  readonly openWeight: number;
  readonly openCount: number;
  readonly totalWeight: number;
  readonly voters: number;
}

function tally(c: ResolvedClause, votes: ReadonlyMap<string, boolean>): Tally {
  let yesWeight = 0;
  let yesCount = 0;
  let openWeight = 0;
  let openCount = 0;
  let totalWeight = 0;
  for (const { name, weight } of c.voters) {
    totalWeight += weight;
    const vote = votes.get(name);
    if (vote === true) [yesWeight, yesCount] = [yesWeight + weight, yesCount + 1];
    else if (vote === undefined) [openWeight, openCount] = [openWeight + weight, openCount + 1];
  }
  return { yesWeight, yesCount, openWeight, openCount, totalWeight, voters: c.voters.length };
}

/** Whether `yesWeight`/`yesCount` reach the threshold. */
function reaches(threshold: Threshold, yesWeight: number, yesCount: number, t: Tally): boolean {
  if (threshold === 'ANY') return yesCount >= 1;
  if (threshold === 'MAJORITY') return yesWeight * 2 > t.totalWeight;
  if (threshold === 'ALL') return yesCount === t.voters;
  if ('atLeast' in threshold) return yesCount >= threshold.atLeast;
  const [p, q] = threshold.fraction;
  return yesWeight * q >= t.totalWeight * p;
}

export type Decision = 'passed' | 'rejected' | 'open';

/**
 * Passed when every clause is met; rejected as soon as some clause cannot be met any more even
 * if every voter yet to vote says yes (a no vote counts against); open otherwise.
 */
export function decide(clauses: readonly ResolvedClause[], votes: readonly VoteRecord[]): Decision {
  const byVoter = new Map(votes.map((v) => [v.voter, v.yes]));
  let allMet = true;
  for (const c of clauses) {
    const t = tally(c, byVoter);
    if (!reaches(c.threshold, t.yesWeight + t.openWeight, t.yesCount + t.openCount, t)) return 'rejected';
    if (!reaches(c.threshold, t.yesWeight, t.yesCount, t)) allMet = false;
  }
  return allMet ? 'passed' : 'open';
}

/** The rule of `action` in force: the registry's, else the default. */
export function ruleOf(rules: ReadonlyMap<string, RuleRecord>, action: GovAction): RuleRecord {
  return rules.get(action) ?? DEFAULT_RULES.find((r) => r.action === action)!;
}
