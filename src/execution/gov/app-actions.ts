import {
  GovAppExistsError,
  GovAppFrozenError,
  GovAppMinimumError,
  GovAppRetiredError,
  GovInvalidArgumentError,
  GovNodeNotActiveError,
  GovNodeNotPlacedError,
  GovNotDeveloperError,
  GovNotFoundError,
  GovUnknownAppError,
  GovUnknownRoleError,
  GovUnsupportedSuiteError,
} from './errors.js';
import type { ActionContext, PreparedAction } from './actions.js';
import { defaultAppMinValidators, evmChainIdFor, faultsTolerated } from './app-view.js';
import type { ActionArgs } from './schemas.js';
import type { GovState } from './state.js';
import type { AppFramework, AppRecord, AppRole, GovAction, PlanRecord } from './types.js';

/*
 * The app lifecycle's actions on `gov` (docs/governance.md, "Apps"): create-app, place-app,
 * freeze-app, unfreeze-app, retire-app here; membership and users in app-members.ts. Like every
 * action they validate against the state of the moment and return a change that cannot fail.
 */

export type AppHandler<A extends GovAction> = (state: GovState, args: ActionArgs<A>, ctx: ActionContext) => PreparedAction;

/** The roles an app gets when create-app names none. */
export const DEFAULT_APP_ROLES: Readonly<Record<AppFramework, readonly AppRole[]>> = Object.freeze({
  evm: [
    { name: 'deployer', evm: { deploy: true, calls: [{ contract: '*', selector: '*' }] } },
    { name: 'user', evm: { deploy: false, calls: [{ contract: '*', selector: '*' }] } },
  ],
  kv: [{ name: 'writer', kv: { prefixes: [] } }],
});

/**
 * The app `id`, which must be neither retired nor (when `frozen` is 'refuse') frozen. Frozen apps
 * still take the changes that take rights away (removing members and users) and retirement.
 */
export function appOf(state: GovState, id: string, frozen: 'refuse' | 'allow'): AppRecord {
  const app = state.maps.app.get(id);
  if (!app) throw new GovUnknownAppError(`no app '${id}'`);
  if (app.status === 'retired') throw new GovAppRetiredError(`app '${id}' is retired`);
  if (app.status === 'frozen' && frozen === 'refuse') throw new GovAppFrozenError(`app '${id}' is frozen`);
  return app;
}

/** Replaces app `id` in `s` with `change(app)`, stamping `since`. */
export function updateApp(s: GovState, id: string, height: number, change: (app: AppRecord) => Partial<AppRecord>): void {
  const app = s.maps.app.get(id)!;
  s.maps.app.set(id, { ...app, ...change(app), since: height });
}

export function roleOf(app: AppRecord, name: string): AppRole {
  const role = app.roles.find((r) => r.name === name);
  if (!role) throw new GovUnknownRoleError(`app '${app.id}' has no role '${name}' (roles: ${app.roles.map((r) => r.name).join(', ')})`);
  return role;
}

/** Checks that every node named is an active validator node of the network (active, unrevoked, of an active operator). */
export function checkActiveNodes(state: GovState, names: readonly string[]): void {
  const active = new Set(state.validators().map((v) => v.name));
  for (const name of names) {
    const node = state.maps.node.get(name);
    if (!node) throw new GovNodeNotActiveError(`no node '${name}'`);
    if (!active.has(name)) {
      const why = node.status !== 'active' ? node.status : state.isRevoked(node.fingerprint) ? 'revoked' : `of operator ${node.operator}, which is not active`;
      throw new GovNodeNotActiveError(`node '${name}' is ${why}`);
    }
  }
}

/** The active operators of the nodes named, sorted; 'root' (the operators decide by majority) when none is active. */
function operatorsOf(state: GovState, names: readonly string[]): readonly string[] | 'root' {
  const active = new Set(state.activeOperators().map((o) => o.name));
  const ops = [...new Set(names.map((n) => state.maps.node.get(n)?.operator ?? ''))].filter((o) => active.has(o)).sort();
  return ops.length > 0 ? ops : 'root';
}

/** The plan named, or by default the cheapest (then first by name) of the registry. */
function planOf(state: GovState, name: string | undefined): PlanRecord {
  if (name !== undefined) {
    const plan = state.maps.plan.get(name);
    if (!plan) throw new GovNotFoundError(`no plan '${name}' (plans: ${[...state.maps.plan.keys()].sort().join(', ') || 'none'})`);
    return plan;
  }
  const plans = [...state.maps.plan.values()].sort((a, b) => a.pricePerNodeMonth - b.pricePerNodeMonth || (a.name < b.name ? -1 : 1));
  if (plans.length === 0) throw new GovNotFoundError('the registry has no plan; set one with set-plan');
  return plans[0]!;
}

function checkRoles(roles: readonly AppRole[], framework: AppFramework): void {
  for (const r of roles) {
    if (framework === 'evm' && r.kv) throw new GovInvalidArgumentError(`role '${r.name}' has kv rights; app is evm`);
    if (framework === 'kv' && r.evm) throw new GovInvalidArgumentError(`role '${r.name}' has evm rights; app is kv`);
  }
}

function checkNewId(state: GovState, id: string, proposal: string): void {
  if (state.maps.app.has(id)) throw new GovAppExistsError(`there is an app '${id}' already (${state.maps.app.get(id)!.status})`);
  for (const p of state.maps.proposal.values()) {
    if (p.id !== proposal && p.status === 'open' && p.action === 'create-app' && p.args['id'] === id) throw new GovAppExistsError(`open proposal ${p.id} creates app '${id}' already`);
  }
}

export const createApp: AppHandler<'create-app'> = (state, args, ctx) => {
  const org = state.maps.org.get(ctx.proposer);
  if (org?.status !== 'active' || !org.roles.includes('developer')) throw new GovNotDeveloperError(`'${ctx.proposer}' is not an active org with the developer role`);
  if (args.owner !== undefined && args.owner !== ctx.proposer) throw new GovInvalidArgumentError(`owner '${args.owner}' is not the proposer '${ctx.proposer}'`);
  checkNewId(state, args.id, ctx.proposal);
  const suite = args.suite ?? ctx.suite;
  if (suite !== ctx.suite) throw new GovUnsupportedSuiteError(`app suite '${suite}': apps run the network's suite, ${ctx.suite}`);
  checkActiveNodes(state, args.placement);
  const placement = [...args.placement].sort();
  const minValidators = args.minValidators ?? defaultAppMinValidators(placement.length);
  if (minValidators > placement.length) throw new GovAppMinimumError(`minValidators ${minValidators} is more than the ${placement.length} nodes placed`);
  const roles = args.roles ?? DEFAULT_APP_ROLES[args.framework];
  checkRoles(roles, args.framework);
  const plan = planOf(state, args.plan);
  const validated = {
    id: args.id,
    name: args.name ?? args.id,
    owner: ctx.proposer,
    framework: args.framework,
    suite,
    keyMode: args.keyMode ?? 'hosted',
    roles,
    placement,
    minValidators,
    industry: args.industry ?? 'other',
    plan: plan.name,
  };
  const apply = (s: GovState): void => {
    const taken = new Set([...s.maps.app.values()].flatMap((a) => (a.evmChainId === undefined ? [] : [a.evmChainId])));
    const record: AppRecord = {
      ...validated,
      f: faultsTolerated(placement.length),
      price: { perNodeMonth: plan.pricePerNodeMonth, nodes: placement.length, perMonth: plan.pricePerNodeMonth * placement.length, currency: plan.currency },
      status: 'active',
      ...(args.framework === 'evm' && { evmChainId: evmChainIdFor(args.id, taken) }),
      genesisTime: ctx.time,
      activatedHeight: ctx.height,
      genesisValidators: s.validators().filter((v) => placement.includes(v.name)),
      members: [],
      users: [],
      proposal: ctx.proposal,
      since: ctx.height,
    };
    s.maps.app.set(args.id, record);
  };
  return { args: validated, concerned: operatorsOf(state, placement), appOwner: ctx.proposer, apply };
};

export const placeApp: AppHandler<'place-app'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'refuse');
  const add = args.add ?? [];
  const remove = args.remove ?? [];
  for (const n of add) if (app.placement.includes(n)) throw new GovNodeNotPlacedError(`app '${app.id}' is placed on '${n}' already`);
  for (const n of remove) if (!app.placement.includes(n)) throw new GovNodeNotPlacedError(`app '${app.id}' is not placed on '${n}' (placement: ${app.placement.join(', ')})`);
  checkActiveNodes(state, add);
  const placement = [...app.placement.filter((n) => !remove.includes(n)), ...add].sort();
  const active = new Set(state.validators().map((v) => v.name));
  const before = app.placement.filter((n) => active.has(n)).length;
  const after = placement.filter((n) => active.has(n)).length;
  // A change that does not shrink the active placement is allowed even below the minimum (a move off a suspended node).
  if (placement.length === 0 || (after < app.minValidators && after < before)) {
    throw new GovAppMinimumError(`this would leave app '${app.id}' ${after} active nodes; its minimum is ${app.minValidators}`);
  }
  return {
    args: { app: app.id, ...(add.length > 0 && { add }), ...(remove.length > 0 && { remove }) },
    concerned: operatorsOf(state, [...add, ...remove]),
    appOwner: app.owner,
    apply: (s) => updateApp(s, app.id, ctx.height, () => ({ placement, f: faultsTolerated(placement.length) })),
  };
};

export const appStatus =
  (action: 'freeze-app' | 'unfreeze-app' | 'retire-app'): AppHandler<'freeze-app'> =>
  (state, args, ctx) => {
    const app = appOf(state, args.app, 'allow');
    if (action === 'freeze-app' && app.status === 'frozen') throw new GovAppFrozenError(`app '${app.id}' is frozen already`);
    if (action === 'unfreeze-app' && app.status !== 'frozen') throw new GovInvalidArgumentError(`app '${app.id}' is not frozen`);
    const status = action === 'freeze-app' ? 'frozen' : action === 'unfreeze-app' ? 'active' : 'retired';
    return { args, concerned: [], appOwner: app.owner, apply: (s) => updateApp(s, app.id, ctx.height, () => ({ status })) };
  };
