import { z } from 'zod';
import { encodePem, nameValue, PkiError, validateChain } from '../../pki/index.js';
import { GenesisError } from '../errors.js';
import { GovError } from './errors.js';
import { certOf, checkLeaf, checkOperatorCa, issuingOperator } from './identity.js';
import { DEFAULT_RULES } from './rules.js';
import { planSchema, recordName, ruleSchema } from './schemas.js';
import { emptyMaps, GovState, type GovGlobals } from './state.js';
import { checkTrustCode } from './trust-code.js';
import { ORG_ROLES, type GovGenesisState, type NodeRecord } from './types.js';

/*
 * The state of height 0 from a GovGenesisState. Every certificate is verified as the actions
 * would verify it, at the genesis time: a genesis the chain itself would refuse is refused.
 */

const pem = z.string().min(1).max(16 * 1024);
const genesisSchema = z.strictObject({
  version: z.literal(1),
  rootCertPem: pem,
  authority: z.strictObject({ name: z.string().min(1).max(64), certPem: pem }),
  operators: z.array(z.strictObject({ name: recordName, caCertPem: pem, adminCertPems: z.array(pem).max(64) })).min(1).max(256),
  nodes: z
    .array(
      z.strictObject({
        certPem: pem,
        operator: recordName,
        region: z.string().min(1).max(64),
        city: z.string().min(1).max(64).optional(),
        p2p: z.string().min(1).max(256).optional(),
        gateway: z.string().min(1).max(256).optional(),
        power: z.number().int().min(1).max(1_000_000).optional(),
      }),
    )
    .min(1)
    .max(1024),
  orgs: z
    .array(z.strictObject({ certPem: pem, name: recordName, roles: z.array(z.enum(ORG_ROLES)).min(1), trustCode: z.string(), contact: z.string().max(256).optional() }))
    .max(4096)
    .optional(),
  plans: z.array(planSchema).max(256).optional(),
  rules: z.array(ruleSchema).max(64).optional(),
});

/** 3f + 1 for the largest f that n validators tolerate. */
export const minValidatorsOf = (n: number): number => 3 * Math.floor((n - 1) / 3) + 1;

/** Builds and verifies the genesis state; throws GenesisError naming what does not verify. */
export function genesisState(chainId: string, appState: unknown, time: number): GovState {
  const parsed = genesisSchema.safeParse(appState);
  if (!parsed.success) throw new GenesisError(`gov genesis: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  try {
    return build(chainId, parsed.data, time);
  } catch (cause) {
    if (cause instanceof GovError || cause instanceof PkiError) throw new GenesisError(`gov genesis: ${cause.code}: ${cause.message}`, { cause });
    throw cause;
  }
}

function build(chainId: string, g: GovGenesisState, time: number): GovState {
  const root = certOf(g.rootCertPem, 'root certificate');
  if (!root.extensions.basicConstraints?.ca) throw new GenesisError('the root certificate is not a CA');
  validateChain({ roots: [root], leaf: root, at: new Date(time) });
  const authorityCert = certOf(g.authority.certPem, 'authority certificate');
  const globals: GovGlobals = {
    chainId,
    rootCertPem: encodePem('CERTIFICATE', root.der),
    rootFingerprint: root.fingerprint,
    minValidators: minValidatorsOf(g.nodes.length),
    authority: { name: g.authority.name, certPem: encodePem('CERTIFICATE', authorityCert.der), fingerprint: authorityCert.fingerprint },
  };
  const state = new GovState(globals, emptyMaps(), 0);
  const unique = (seen: Set<string>, key: string, what: string) => {
    if (seen.has(key)) throw new GenesisError(`${what} appears twice`);
    seen.add(key);
  };
  const names = new Set<string>(['authority']);
  const fingerprints = new Set<string>([authorityCert.fingerprint]);
  for (const op of g.operators) {
    const ca = certOf(op.caCertPem, `operator ${op.name} CA`);
    checkOperatorCa(state, ca, time);
    unique(names, op.name, `the name '${op.name}'`);
    unique(fingerprints, ca.fingerprint, `the certificate of operator ${op.name}`);
    const record = { name: op.name, caCertPem: encodePem('CERTIFICATE', ca.der), caFingerprint: ca.fingerprint, subject: ca.subjectText, admins: [] as string[], status: 'active' as const, since: 0 };
    state.maps.operator.set(op.name, record);
    for (const adminPem of op.adminCertPems) {
      const admin = certOf(adminPem, `an admin of operator ${op.name}`);
      if (checkLeaf(state, admin, 'org', time).name !== op.name) throw new GenesisError(`admin '${admin.subjectText}' of ${op.name} is issued by another operator`);
      unique(fingerprints, admin.fingerprint, `the admin certificate '${admin.subjectText}'`);
      record.admins.push(admin.fingerprint);
    }
  }
  if (!issuingOperator(authorityCert, state.activeOperators())) throw new GenesisError('the authority certificate is not issued by a genesis operator');
  checkLeaf(state, authorityCert, 'org', time);
  for (const [i, n] of g.nodes.entries()) state.maps.node.set(...genesisNode(state, n, i, time, fingerprints, unique));
  for (const org of g.orgs ?? []) {
    const cert = certOf(org.certPem, `org ${org.name}`);
    checkTrustCode(org.trustCode);
    const operator = checkLeaf(state, cert, 'org', time);
    unique(names, org.name, `the name '${org.name}'`);
    unique(fingerprints, cert.fingerprint, `the certificate of org ${org.name}`);
    const { roles, trustCode, contact } = org;
    state.maps.org.set(org.name, { name: org.name, operator: operator.name, certPem: encodePem('CERTIFICATE', cert.der), fingerprint: cert.fingerprint, roles, trustCode, ...(contact !== undefined && { contact }), status: 'active', since: 0 });
  }
  for (const plan of g.plans ?? []) state.maps.plan.set(plan.name, plan);
  for (const rule of DEFAULT_RULES) state.maps.rule.set(rule.action, rule);
  for (const rule of g.rules ?? []) state.maps.rule.set(rule.action, rule);
  return state;
}

function genesisNode(
  state: GovState,
  n: GovGenesisState['nodes'][number],
  i: number,
  time: number,
  fingerprints: Set<string>,
  unique: (seen: Set<string>, key: string, what: string) => void,
): [string, NodeRecord] {
  const cert = certOf(n.certPem, `node ${i}`);
  const operator = checkLeaf(state, cert, 'node', time);
  if (operator.name !== n.operator) throw new GenesisError(`node '${cert.subjectText}' is issued by ${operator.name}, not ${n.operator}`);
  const name = nameValue(cert.subject, 'CN') ?? '';
  if (!recordName.safeParse(name).success) throw new GenesisError(`node ${i}: CN '${name}' is not a valid node name`);
  if (state.maps.node.has(name)) throw new GenesisError(`the node '${name}' appears twice`);
  unique(fingerprints, cert.fingerprint, `the certificate of node ${name}`);
  const { city, p2p, gateway } = n;
  return [
    name,
    {
      name,
      operator: operator.name,
      certPem: encodePem('CERTIFICATE', cert.der),
      fingerprint: cert.fingerprint,
      publicKey: Buffer.from(cert.publicKey.bytes).toString('hex'),
      region: n.region,
      ...(city !== undefined && { city }),
      ...(p2p !== undefined && { p2p }),
      ...(gateway !== undefined && { gateway }),
      power: n.power ?? 1,
      status: 'active',
      since: 0,
    },
  ];
}
