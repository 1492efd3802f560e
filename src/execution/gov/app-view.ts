import { createHash } from 'node:crypto';
import type { ValidatorUpdate } from '../application.js';
import type { AppRecord, AppValidatorRecord, GovRegistry, ProposalRecord } from './types.js';

/*
 * Pure functions over the registry for the nodes that run app chains: which nodes validate an
 * app now, and the genesis every one of them derives alike from the app's record.
 */

/** Byzantine faults n validators tolerate. */
export const faultsTolerated = (n: number): number => Math.max(0, Math.floor((n - 1) / 3));

/** 4 (3f + 1 for f = 1) when placed on 4 or more nodes, else every node placed. */
export const defaultAppMinValidators = (placed: number): number => Math.min(placed, 4);

/**
 * EVM chain ids of apps are in [2^30, 2^31 − 1]: above every well-known public and development
 * chain id (Ethereum 1, its testnets, the big L2s, 1337, 31337, the devnet's 4242) and below
 * 2^31, which every wallet and tool handles.
 */
export const EVM_CHAIN_ID_MIN = 2 ** 30;
export const EVM_CHAIN_ID_MAX = 2 ** 31 - 1;

/**
 * The EVM chain id of app `id`: from SHA-256("bsn/evm-chain-id/v1\n" + id + "\n" + attempt),
 * its first 4 bytes mod 2^30 above EVM_CHAIN_ID_MIN, for attempt 0, 1, … until one not `taken`.
 */
export function evmChainIdFor(id: string, taken: ReadonlySet<number>): number {
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha256').update(`bsn/evm-chain-id/v1\n${id}\n${attempt}`, 'utf8').digest();
    const n = EVM_CHAIN_ID_MIN + (digest.readUInt32BE(0) % 2 ** 30);
    if (!taken.has(n)) return n;
  }
}

/** Names of the network's validator nodes: active, unrevoked, of an active unrevoked operator (as GovState.validators). */
function activeNodeNames(registry: GovRegistry): Set<string> {
  const revoked = new Set(registry.revocations.map((r) => r.fingerprint));
  const operators = new Set(registry.operators.filter((o) => o.status === 'active' && !revoked.has(o.caFingerprint)).map((o) => o.name));
  return new Set(registry.nodes.filter((n) => n.status === 'active' && operators.has(n.operator) && !revoked.has(n.fingerprint)).map((n) => n.name));
}

const appIn = (registry: GovRegistry, appId: string): AppRecord | undefined => registry.apps.find((a) => a.id === appId);

/**
 * The validators of app `appId` under this registry: its placed nodes that are active network
 * validators, sorted by name. None for a retired or unknown app.
 */
export function appValidators(registry: GovRegistry, appId: string): ValidatorUpdate[] {
  const app = appIn(registry, appId);
  if (!app || app.status === 'retired') return [];
  const active = activeNodeNames(registry);
  return registry.nodes
    .filter((n) => app.placement.includes(n.name) && active.has(n.name))
    .map((n) => ({ name: n.name, publicKey: new Uint8Array(Buffer.from(n.publicKey, 'hex')), power: n.power }));
}

/** What a node needs to start an app chain: the shape of a genesis file (src/node/genesis.ts). */
export interface AppGenesis {
  readonly chainId: string;
  readonly suite: string;
  readonly app: 'evm' | 'kv';
  readonly time: number;
  readonly validators: readonly AppValidatorRecord[];
  /** evm: `{ chainId: evmChainId, alloc: {} }`; kv: null. */
  readonly appState: { readonly chainId: number; readonly alloc: Record<string, never> } | null;
}

/**
 * The genesis of app `appId`, the same on every node whatever the registry's height: its time
 * and validators are those recorded at activation (a node placed later syncs from this genesis).
 * Undefined for an unknown app.
 */
export function appGenesis(registry: GovRegistry, appId: string): AppGenesis | undefined {
  const app = appIn(registry, appId);
  if (!app) return undefined;
  return {
    chainId: app.id,
    suite: app.suite,
    app: app.framework,
    time: app.genesisTime,
    validators: app.genesisValidators,
    appState: app.framework === 'evm' ? { chainId: app.evmChainId!, alloc: {} } : null,
  };
}

/**
 * What the `app` query shows: the record, with members whose join-app proposal is open shown
 * `accepted` (with the role and node they asked for); for an id with no record but an open
 * create-app proposal, that proposal's view with status `proposed`.
 */
export function appView(app: AppRecord | undefined, id: string, proposals: Iterable<ProposalRecord>): unknown {
  const all = [...proposals].filter((p) => p.status === 'open');
  const open = all.filter((p) => p.args['app'] === id);
  if (app) {
    const joins = new Map(open.filter((p) => p.action === 'join-app').map((p) => [p.proposer, p]));
    const members = app.members.map((m) => {
      const join = m.status === 'invited' ? joins.get(m.org) : undefined;
      return join ? { ...m, status: 'accepted', role: join.args['role'], node: join.args['node'], proposal: join.id } : m;
    });
    return { ...app, members };
  }
  const create = all.find((p) => p.action === 'create-app' && p.args['id'] === id);
  return create && { ...create.args, status: 'proposed', proposal: create.id, members: [], users: [] };
}
