import type { NodeRecord, OperatorRecord, OrgRecord, PlanRecord, ProposalRecord, RevocationRecord, RuleRecord, Threshold } from '../../execution/gov/types.js';

/** The human lines of `bsn gov show …` and of a proposal's status after a commit. */

const thresholdText = (t: Threshold): string => (typeof t === 'string' ? t : 'atLeast' in t ? `at least ${t.atLeast}` : `${t.fraction[0]}/${t.fraction[1]} of the weight`);

/** "executed at height 12", "open: yes 1 of 2 (MAJORITY: op1, op2)", "rejected", "failed: …". */
export function proposalStatus(p: ProposalRecord): string {
  if (p.status === 'executed') return `executed at height ${p.decidedHeight ?? p.height}`;
  if (p.status !== 'open') return `${p.status}${p.decidedHeight !== undefined ? ` at height ${p.decidedHeight}` : ''}${p.error ? `: ${p.error}` : ''}`;
  const yes = new Set(p.votes.filter((v) => v.yes).map((v) => v.voter));
  const clauses = p.clauses.map((c) => {
    const got = c.voters.filter((v) => yes.has(v.name)).reduce((sum, v) => sum + v.weight, 0);
    const total = c.voters.reduce((sum, v) => sum + v.weight, 0);
    return `yes ${got} of ${total} (${thresholdText(c.threshold)}: ${c.voters.map((v) => v.name).join(', ')})`;
  });
  return `open: ${clauses.join('; ')}, expires ${new Date(p.expiresAt).toISOString()}`;
}

export function proposalLine(p: ProposalRecord): string {
  return `proposal ${p.id} (${p.action} by ${p.proposer}) ${proposalStatus(p)}`;
}

const cols = (...values: (string | number | undefined)[]): string => values.map((v) => String(v ?? '-')).join('  ');

export type ShowKind = 'operators' | 'nodes' | 'orgs' | 'rules' | 'proposals' | 'revocations' | 'plans' | 'apps' | 'validators';

/** One line per record; the records are as the gateway returned them. */
export function showLines(kind: ShowKind, records: readonly unknown[]): string[] {
  if (records.length === 0) return [`(no ${kind})`];
  switch (kind) {
    case 'operators':
      return (records as OperatorRecord[]).map((o) => cols(o.name, o.status, o.subject, `since ${o.since}`));
    case 'nodes':
      return (records as (NodeRecord & { validator?: boolean })[]).map((n) => cols(n.name, n.operator, n.status, n.region, n.city, n.p2p, `power ${n.power}`, n.validator ? 'validator' : 'not a validator'));
    case 'orgs':
      return (records as OrgRecord[]).map((o) => cols(o.name, o.operator, o.status, o.roles.join(','), o.trustCode));
    case 'rules':
      return (records as RuleRecord[]).map((r) => `${r.action}: ${r.clauses.map((c) => `${typeof c.voters === 'string' ? c.voters : c.voters.identities.join('+')} ${thresholdText(c.threshold)}`).join(' and ')}`);
    case 'proposals':
      return (records as ProposalRecord[]).map(proposalLine);
    case 'revocations':
      return (records as RevocationRecord[]).map((r) => cols(r.serial, r.subject, r.reason, `issuer ${r.issuer}`, new Date(r.time).toISOString()));
    case 'plans':
      return (records as PlanRecord[]).map((p) => cols(p.name, `${p.requestsPerSecond} req/s`, `${p.txPerDay} tx/day`, `${p.storageMiB} MiB`, `${p.pricePerNodeMonth} ${p.currency}/node/month`));
    default:
      return records.map((r) => JSON.stringify(r));
  }
}
