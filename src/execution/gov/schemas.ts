import { z } from 'zod';
import { GovInvalidArgumentError } from './errors.js';
import { APP_INDUSTRIES, GOV_ACTIONS, ORG_ROLES, type GovAction } from './types.js';

/*
 * The arguments of each action (zod). They are parsed when a proposal is made and again when it
 * executes; what they say about the registry (a certificate's issuer, a name's owner) is checked
 * by the actions against the state of that moment.
 */

export const recordName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, ".", "_", "-"; at most 63, starting with a letter or digit');
const pem = z.string().min(1).max(16 * 1024).includes('-----BEGIN CERTIFICATE-----');
const label = z.string().min(1).max(64);
const hostPort = z.string().max(256).regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const REVOCATION_REASON_NAMES = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
] as const;

export const thresholdSchema = z.union([
  z.enum(['ANY', 'MAJORITY', 'ALL']),
  z.strictObject({ atLeast: z.number().int().min(1).max(1000) }),
  z
    .strictObject({ fraction: z.tuple([z.number().int().min(1), z.number().int().min(1)]) })
    .refine((t) => t.fraction[0] <= t.fraction[1], 'a fraction [p, q] needs p <= q'),
]);

export const voterSpecSchema = z.union([
  z.enum(['authority', 'operators', 'concerned-operators', 'app-owner']),
  z.strictObject({ identities: z.array(z.string().min(1).max(64)).min(1).max(64) }),
]);

export const ruleSchema = z.strictObject({
  action: z.enum(GOV_ACTIONS),
  clauses: z
    .array(
      z.strictObject({
        voters: voterSpecSchema,
        threshold: thresholdSchema,
        weights: z.record(z.string().min(1).max(64), z.number().int().min(1).max(1_000_000)).optional(),
      }),
    )
    .min(1)
    .max(8),
});

export const planSchema = z.strictObject({
  name: recordName,
  requestsPerSecond: count,
  txPerDay: count,
  storageMiB: count,
  pricePerNodeMonth: count,
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY'),
});

const byName = z.strictObject({ name: recordName });

/** An app id is a chain id (src/node/genesis.ts), and never the governance chain's. */
export const appId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a chain id: lowercase letters, digits and dashes, at most 63, starting with a letter or digit')
  .refine((id) => id !== 'gov', "'gov' is the governance chain");
/** As given: a mixed-case address is checked against its EIP-55 checksum by the action. */
const addressText = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x address of 40 hex digits');
const address = addressText.transform((a) => a.toLowerCase());
const unique = <T>(key: (t: T) => string) => (list: readonly T[]) => new Set(list.map(key)).size === list.length;
const nodeList = z.array(recordName).max(64).refine(unique((n: string) => n), 'a node is named twice');

export const appRoleSchema = z
  .strictObject({
    name: recordName,
    evm: z
      .strictObject({
        deploy: z.boolean(),
        calls: z
          .array(
            z.strictObject({
              contract: z.union([z.literal('*'), address]),
              selector: z.union([z.literal('*'), z.string().regex(/^0x[0-9a-fA-F]{8}$/, 'a 4-byte selector, 0x and 8 hex digits').transform((s) => s.toLowerCase())]),
            }),
          )
          .max(256),
      })
      .optional(),
    kv: z.strictObject({ prefixes: z.array(z.string().min(1).max(128)).max(64) }).optional(),
  })
  .refine((r) => r.evm === undefined || r.kv === undefined, 'a role is for evm or for kv, not both');

const byApp = z.strictObject({ app: appId });

const APP_SCHEMAS = {
  'create-app': z.strictObject({
    id: appId,
    name: z.string().min(1).max(128).optional(),
    /** The proposer; checked to be it when given. */
    owner: recordName.optional(),
    framework: z.enum(['evm', 'kv']),
    suite: z.string().min(1).max(32).optional(),
    keyMode: z.enum(['hosted', 'upload']).optional(),
    roles: z.array(appRoleSchema).min(1).max(64).refine(unique((r: { name: string }) => r.name), 'a role is named twice').optional(),
    placement: nodeList.min(1),
    minValidators: z.number().int().min(1).max(64).optional(),
    industry: z.enum(APP_INDUSTRIES).optional(),
    plan: recordName.optional(),
  }),
  'invite-member': z.strictObject({ app: appId, org: recordName }),
  'join-app': z.strictObject({ app: appId, role: recordName, node: recordName }),
  'remove-member': z.strictObject({ app: appId, org: recordName }),
  'add-app-user': z.strictObject({ app: appId, name: recordName, role: recordName, address: addressText.optional(), cert: pem.optional() }),
  'remove-app-user': z.strictObject({ app: appId, name: recordName }),
  'place-app': z
    .strictObject({ app: appId, add: nodeList.optional(), remove: nodeList.optional() })
    .refine((p) => (p.add?.length ?? 0) + (p.remove?.length ?? 0) > 0, 'add or remove at least one node')
    .refine((p) => !(p.add ?? []).some((n) => (p.remove ?? []).includes(n)), 'a node is both added and removed'),
  'freeze-app': byApp,
  'unfreeze-app': byApp,
  'retire-app': byApp,
} as const;

export const ACTION_SCHEMAS = {
  'admit-operator': z.strictObject({ cert: pem, name: recordName }),
  'suspend-operator': byName,
  'remove-operator': byName,
  'add-node': z.strictObject({
    cert: pem,
    region: label,
    city: label.optional(),
    p2p: hostPort.optional(),
    gateway: z.url({ protocol: /^https?$/ }).max(256).optional(),
    power: z.number().int().min(1).max(1_000_000).optional(),
  }),
  'suspend-node': byName,
  'remove-node': byName,
  'register-org': z.strictObject({
    cert: pem,
    name: recordName,
    roles: z.array(z.enum(ORG_ROLES)).min(1).max(ORG_ROLES.length).refine((r) => new Set(r).size === r.length, 'roles repeat'),
    trustCode: z.string().max(64),
    contact: z.string().min(1).max(256).optional(),
  }),
  'suspend-org': byName,
  revoke: z.strictObject({ cert: pem, reason: z.enum(REVOCATION_REASON_NAMES) }),
  'set-plan': z.strictObject({ plan: planSchema }),
  'set-rule': z.strictObject({ rule: ruleSchema }),
  ...APP_SCHEMAS,
} as const satisfies Record<GovAction, z.ZodType>;

export type ActionArgs<A extends GovAction> = z.infer<(typeof ACTION_SCHEMAS)[A]>;

/** Parses with `schema` or throws GovInvalidArgumentError naming every problem. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new GovInvalidArgumentError(`${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
}
