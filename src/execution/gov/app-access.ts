import type { AppRecord, AppRole } from './types.js';

/*
 * What an app chain's member check needs, over one app record (the one `appAt` gives for the
 * block's gov height): who is a user of the app, with which role, and what a role allows.
 * Pure and total: any input, however malformed (a record from an older version, a tx's
 * unchecked fields), gives a typed answer and never throws, so every validator decides alike.
 */

/** Who acts: a certificate (kv apps, and evm apps in hosted mode) or an Ethereum address (evm, upload mode). */
export type AppIdentity = { readonly kind: 'kv'; readonly certFingerprint: string } | { readonly kind: 'evm'; readonly address: string };

export type AppAccessReason =
  /** The record or the identity is not of the expected shape. */
  | 'bad-input'
  /** No user of the app has this certificate or address. */
  | 'not-a-user'
  /** The user's org is neither the owner nor an active member (removed, or only invited). */
  | 'org-not-member'
  /** The user's role is not one of the app's roles. */
  | 'unknown-role'
  /** A member of a frozen app: reads only. */
  | 'frozen'
  /** A member of a retired app: the app has no chain any more. */
  | 'retired';

export interface AppAccess {
  /** A user of the owner or of an active member org, with a role the app defines. */
  readonly member: boolean;
  /** May write (send txs): a member of an active app. */
  readonly writable: boolean;
  readonly role?: AppRole;
  /** The user's name in the app. */
  readonly user?: string;
  /** Why not a member, or (frozen, retired) why a member may not write. */
  readonly reason?: AppAccessReason;
}

/** What a user asks to do. `own` (kv) is the writer's own namespace: a key prefix the kv app derives from the signer. */
export type AppOperation =
  | { readonly kind: 'kv'; readonly key: string; readonly own?: string }
  | { readonly kind: 'evm-call'; readonly to: string; readonly selector: string }
  | { readonly kind: 'evm-deploy' };

export type RoleDenial = 'bad-input' | 'wrong-framework' | 'no-deploy' | 'no-call-grant' | 'no-prefix';

export interface RoleDecision {
  readonly allowed: boolean;
  readonly reason?: RoleDenial;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const arrayOf = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const denied = (reason: AppAccessReason): AppAccess => ({ member: false, writable: false, reason });

/** The user this identity is, compared as stored (fingerprints upper-case, addresses lower-case). */
function userOf(record: Record<string, unknown>, who: unknown): Record<string, unknown> | 'bad-input' | undefined {
  if (!isObject(who)) return 'bad-input';
  const users = arrayOf(record['users']).filter(isObject);
  if (who['kind'] === 'kv' && isString(who['certFingerprint'])) {
    const fp = who['certFingerprint'].toUpperCase();
    return users.find((u) => isString(u['fingerprint']) && u['fingerprint'].toUpperCase() === fp);
  }
  if (who['kind'] === 'evm' && isString(who['address'])) {
    const address = who['address'].toLowerCase();
    return users.find((u) => isString(u['address']) && u['address'].toLowerCase() === address);
  }
  return 'bad-input';
}

function accessOf(record: unknown, who: unknown): AppAccess {
  if (!isObject(record) || !isString(record['owner']) || !Array.isArray(record['users'])) return denied('bad-input');
  const user = userOf(record, who);
  if (user === 'bad-input') return denied('bad-input');
  if (!user || !isString(user['org']) || !isString(user['name'])) return denied('not-a-user');
  const org = user['org'];
  const activeMember = arrayOf(record['members']).some((m) => isObject(m) && m['org'] === org && m['status'] === 'active');
  if (org !== record['owner'] && !activeMember) return denied('org-not-member');
  const role = arrayOf(record['roles']).find((r): r is AppRole => isObject(r) && isString(r['name']) && r['name'] === user['role']);
  if (!role) return denied('unknown-role');
  const status = record['status'];
  if (status !== 'active' && status !== 'frozen' && status !== 'retired') return denied('bad-input');
  const reason = status === 'active' ? undefined : status;
  return { member: true, writable: reason === undefined, role, user: user['name'], ...(reason !== undefined && { reason }) };
}

/**
 * Whether `who` is a member of the app of `record`, with which role, and whether it may write.
 * A user of the owner or of an active member org is a member; a removed member's users are not
 * (remove-member drops them, and a user left over would still be refused).
 */
export function appAccess(record: AppRecord | undefined, who: AppIdentity): AppAccess {
  try {
    return accessOf(record, who);
  } catch {
    // Only hostile objects (throwing getters, proxies) get here: they are not records.
    return denied('bad-input');
  }
}

const matches = (grant: unknown, value: string): boolean => grant === '*' || (isString(grant) && grant.toLowerCase() === value);

function decide(role: unknown, op: unknown): RoleDecision {
  if (!isObject(role) || !isObject(op)) return { allowed: false, reason: 'bad-input' };
  const evm = isObject(role['evm']) ? role['evm'] : undefined;
  const kv = isObject(role['kv']) ? role['kv'] : undefined;
  switch (op['kind']) {
    case 'evm-deploy':
      if (!evm) return { allowed: false, reason: 'wrong-framework' };
      return evm['deploy'] === true ? { allowed: true } : { allowed: false, reason: 'no-deploy' };
    case 'evm-call': {
      if (!isString(op['to']) || !isString(op['selector'])) return { allowed: false, reason: 'bad-input' };
      if (!evm) return { allowed: false, reason: 'wrong-framework' };
      const to = op['to'].toLowerCase();
      const selector = op['selector'].toLowerCase();
      const granted = arrayOf(evm['calls']).some((g) => isObject(g) && matches(g['contract'], to) && matches(g['selector'], selector));
      return granted ? { allowed: true } : { allowed: false, reason: 'no-call-grant' };
    }
    case 'kv': {
      const key = op['key'];
      const own = op['own'];
      if (!isString(key) || (own !== undefined && !isString(own))) return { allowed: false, reason: 'bad-input' };
      if (!kv) return { allowed: false, reason: 'wrong-framework' };
      // An empty own namespace would be every key: only a non-empty one counts.
      if (isString(own) && own !== '' && key.startsWith(own)) return { allowed: true };
      const shared = arrayOf(kv['prefixes']).some((p) => isString(p) && key.startsWith(p));
      return shared ? { allowed: true } : { allowed: false, reason: 'no-prefix' };
    }
    default:
      return { allowed: false, reason: 'bad-input' };
  }
}

/**
 * Whether `role` allows `op`: an evm deploy when the role deploys; an evm call when one of its
 * grants matches the contract and selector (`*` matches any; compared lower-case); a kv write
 * to the writer's `own` namespace, or under one of the role's shared prefixes (`''` shares all).
 */
export function roleAllows(role: AppRole | undefined, op: AppOperation): RoleDecision {
  try {
    return decide(role, op);
  } catch {
    return { allowed: false, reason: 'bad-input' };
  }
}
