import type { AppRecord, ProposalRecord } from '../../execution/gov/types.js';
import type { AppView } from '../../sdk/gov-client.js';

/** The human lines (and the added JSON fields) of `bsn app …` (docs/apps.md). */

/** One placed node: its gateway, and for evm apps the app's JSON-RPC URL there. */
export interface PlacedNode {
  readonly name: string;
  readonly gateway: string | null;
  readonly rpc?: string | null;
}

/** Byzantine faults n validators tolerate, as the chain computes them (app-view.ts). */
const faults = (n: number): number => Math.max(0, Math.floor((n - 1) / 3));

/** What a placement on `n` nodes survives, in words: the output of create and show. */
export function toleranceText(n: number): string {
  const f = faults(n);
  if (f === 0) return `with ${n} node${n === 1 ? '' : 's'} a faulty node can stop the app (4 or more nodes tolerate one faulty node)`;
  return `${n} nodes tolerate ${f} faulty node${f === 1 ? '' : 's'} (3f + 1 nodes tolerate f)`;
}

/** The voters of each clause who have not said yes yet: who must still approve. */
export function pendingApprovers(p: ProposalRecord): string[] {
  if (p.status !== 'open') return [];
  const yes = new Set(p.votes.filter((v) => v.yes).map((v) => v.voter));
  return [...new Set(p.clauses.flatMap((c) => c.voters.map((v) => v.name)).filter((n) => !yes.has(n)))];
}

export function placedNodes(app: Pick<AppView, 'id' | 'placement' | 'framework'>, gateways: ReadonlyMap<string, string>): PlacedNode[] {
  return (app.placement ?? []).map((name) => {
    const gateway = gateways.get(name)?.replace(/\/+$/, '') ?? null;
    return { name, gateway, ...(app.framework === 'evm' && { rpc: gateway === null ? null : `${gateway}/apps/${app.id}/rpc` }) };
  });
}

const cols = (...values: (string | number | undefined | null)[]): string => values.map((v) => String(v ?? '-')).join('  ');

function priceLine(price: AppRecord['price'] | undefined, plan: string | undefined): string {
  if (!price) return `plan ${plan ?? '(the cheapest, when decided)'}`;
  return `plan ${plan}: ${price.perNodeMonth} per node per month × ${price.nodes} node(s) = ${price.perMonth} per month (${price.currency}, minor units)`;
}

export function memberLines(app: AppView): string[] {
  if (app.members.length === 0) return ['  (no members)'];
  return app.members.map((m) => `  ${cols(m.org, m.status, m.role && `role ${m.role}`, m.node && `node ${m.node}`, m.proposal && `join proposal ${m.proposal}`)}`);
}

export function showLines(app: AppView, nodes: readonly PlacedNode[]): string[] {
  const chain = app.framework === 'evm' ? `chain id ${app.id}, EVM chain id ${app.evmChainId ?? '(assigned when decided)'}` : `chain id ${app.id}`;
  const users = app.users.length === 0 ? ['  (no users)'] : app.users.map((u) => `  ${cols(u.name, u.org, `role ${u.role}`, u.address, u.fingerprint)}`);
  return [
    `app ${app.id}${app.name && app.name !== app.id ? ` (${app.name})` : ''}: ${app.status}, ${app.framework ?? '?'}, owner ${app.owner ?? '?'}`,
    ...(app.status === 'proposed' ? [`  awaiting approval: proposal ${app.proposal}`] : []),
    chain,
    `key mode ${app.keyMode ?? 'hosted'}; industry ${app.industry ?? 'other'}; ${priceLine(app.price, app.plan)}`,
    `placement: ${nodes.length} node(s), minimum ${app.minValidators ?? '-'}; ${toleranceText(nodes.length)}`,
    ...nodes.map((n) => `  ${cols(n.name, n.gateway ?? '(no gateway known)', n.rpc && `JSON-RPC ${n.rpc}`)}`),
    'members:',
    ...memberLines(app),
    'users:',
    ...users,
  ];
}

export function listLines(apps: readonly AppRecord[]): string[] {
  if (apps.length === 0) return ['(no apps)'];
  return apps.map((a) => cols(a.id, a.status, a.framework, `owner ${a.owner}`, `on ${a.placement.join(',')}`, a.evmChainId !== undefined ? `EVM chain id ${a.evmChainId}` : undefined));
}
