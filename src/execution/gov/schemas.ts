import { z } from 'zod';
import { GovInvalidArgumentError } from './errors.js';
import { GOV_ACTIONS, ORG_ROLES, type GovAction } from './types.js';

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
} as const satisfies Record<GovAction, z.ZodType>;

export type ActionArgs<A extends GovAction> = z.infer<(typeof ACTION_SCHEMAS)[A]>;

/** Parses with `schema` or throws GovInvalidArgumentError naming every problem. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new GovInvalidArgumentError(`${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
}
