import type { Suite } from '../../crypto/index.js';
import type { ValidatorUpdate } from '../application.js';
import type {
  AppRecord,
  AuthorityRecord,
  GovRegistry,
  NodeRecord,
  OperatorRecord,
  OrgRecord,
  PlanRecord,
  ProposalRecord,
  RevocationRecord,
  RuleRecord,
} from './types.js';

/*
 * The whole governance state: every record, in memory (the registry is small). Records are
 * immutable objects; a change replaces a record, so a clone is a copy of the maps and two states
 * differ exactly where their records are not the same objects (what the store persists).
 */

export interface GovGlobals {
  readonly chainId: string;
  readonly rootCertPem: string;
  readonly rootFingerprint: string;
  readonly minValidators: number;
  readonly authority: AuthorityRecord;
}

/** The record kinds, each a map keyed by name (proposal: id; revocation, nonce: fingerprint). */
export interface GovMaps {
  readonly operator: Map<string, OperatorRecord>;
  readonly node: Map<string, NodeRecord>;
  readonly org: Map<string, OrgRecord>;
  readonly revocation: Map<string, RevocationRecord>;
  readonly plan: Map<string, PlanRecord>;
  readonly rule: Map<string, RuleRecord>;
  readonly app: Map<string, AppRecord>;
  readonly proposal: Map<string, ProposalRecord>;
  readonly nonce: Map<string, number>;
}

export type GovKind = keyof GovMaps;
export const GOV_KINDS: readonly GovKind[] = ['operator', 'node', 'org', 'revocation', 'plan', 'rule', 'app', 'proposal', 'nonce'];

export const emptyMaps = (): GovMaps => ({
  operator: new Map(),
  node: new Map(),
  org: new Map(),
  revocation: new Map(),
  plan: new Map(),
  rule: new Map(),
  app: new Map(),
  proposal: new Map(),
  nonce: new Map(),
});

/** A validator as the registry knows it: raw public key in lowercase hex. */
export interface GovValidator {
  readonly name: string;
  readonly publicKey: string;
  readonly power: number;
}

export class GovState {
  constructor(
    readonly globals: GovGlobals,
    readonly maps: GovMaps,
    /** The governance height the state is of (the executing block's during execution). */
    public height: number,
  ) {}

  clone(): GovState {
    const maps = Object.fromEntries(GOV_KINDS.map((k) => [k, new Map(this.maps[k] as Map<string, unknown>)])) as unknown as GovMaps;
    return new GovState(this.globals, maps, this.height);
  }

  nonceOf(fingerprint: string): number {
    return this.maps.nonce.get(fingerprint) ?? 0;
  }

  isRevoked(fingerprint: string): boolean {
    return this.maps.revocation.has(fingerprint);
  }

  /** Active operators whose CA certificate is not revoked, by name. */
  activeOperators(): OperatorRecord[] {
    return [...this.maps.operator.values()].filter((o) => o.status === 'active' && !this.isRevoked(o.caFingerprint)).sort(byName);
  }

  /** Active, unrevoked nodes of active, unrevoked operators, sorted by name. */
  validators(): GovValidator[] {
    const operators = new Set(this.activeOperators().map((o) => o.name));
    return [...this.maps.node.values()]
      .filter((n) => n.status === 'active' && operators.has(n.operator) && !this.isRevoked(n.fingerprint))
      .sort(byName)
      .map((n) => ({ name: n.name, publicKey: n.publicKey, power: n.power }));
  }

  /** Whether `name` is taken by the authority, an operator or an org (voter names are one namespace). */
  nameTaken(name: string): boolean {
    return name === 'authority' || name === this.globals.authority.name || this.maps.operator.has(name) || this.maps.org.has(name);
  }

  registry(): GovRegistry {
    const g = this.globals;
    const values = <T extends { name: string }>(m: Map<string, T>) => [...m.values()].sort(byName);
    return {
      height: this.height,
      rootCertPem: g.rootCertPem,
      rootFingerprint: g.rootFingerprint,
      minValidators: g.minValidators,
      authority: g.authority,
      operators: values(this.maps.operator),
      nodes: values(this.maps.node),
      orgs: values(this.maps.org),
      revocations: [...this.maps.revocation.values()].sort((a, b) => a.height - b.height || cmp(a.fingerprint, b.fingerprint)),
      plans: values(this.maps.plan),
      rules: [...this.maps.rule.values()].sort((a, b) => cmp(a.action, b.action)),
      apps: [...this.maps.app.values()].sort((a, b) => cmp(a.id, b.id)),
    };
  }

  /** Every record as [key, value], keys `global` and `<kind>/<id>`, in key order. */
  entries(): [string, unknown][] {
    const out: [string, unknown][] = [['global', this.globals]];
    for (const kind of GOV_KINDS) for (const [id, v] of this.maps[kind] as Map<string, unknown>) out.push([`${kind}/${id}`, v]);
    return out.sort((a, b) => cmp(a[0], b[0]));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: { name: string }, b: { name: string }): number => cmp(a.name, b.name);

export function toValidatorUpdates(validators: readonly GovValidator[]): ValidatorUpdate[] {
  return validators.map((v) => ({ name: v.name, publicKey: new Uint8Array(Buffer.from(v.publicKey, 'hex')), power: v.power }));
}

export const sameValidators = (a: readonly GovValidator[], b: readonly GovValidator[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** JSON with object keys sorted at every level and undefined members left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort((a, b) => cmp(a[0], b[0]));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const utf8 = new TextEncoder();
/** Leaf hashes of unchanged records are kept: records are immutable, so identity is enough. */
const leafCache = new WeakMap<object, { suite: string; key: string; hash: Uint8Array }>();

function leafHash(suite: Suite, key: string, value: unknown): Uint8Array {
  const cached = typeof value === 'object' && value !== null ? leafCache.get(value) : undefined;
  if (cached && cached.suite === suite.name && cached.key === key) return cached.hash;
  const hash = suite.hash(utf8.encode(`${key}\n${canonicalJson(value)}`));
  if (typeof value === 'object' && value !== null) leafCache.set(value, { suite: suite.name, key, hash });
  return hash;
}

/**
 * The state root: suite.hash over the concatenated leaf hashes in key order, a leaf hash being
 * suite.hash(utf8(key + "\n" + canonicalJson(record))). Height and time are not in it, so a
 * block whose txs all fail leaves the root as it was.
 */
export function stateRootOf(suite: Suite, state: GovState): Uint8Array {
  const leaves = state.entries().map(([k, v]) => leafHash(suite, k, v));
  const all = new Uint8Array(leaves.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of leaves) {
    all.set(l, at);
    at += l.length;
  }
  const root = suite.hash(all);
  return Object.getPrototypeOf(root) === Uint8Array.prototype ? root : new Uint8Array(root);
}
