import type { z } from 'zod';
import { BsnError } from '../../errors.js';
import { encodePem, nameValue, namesEqual, type ParsedCertificate } from '../../pki/index.js';
import { verifyTbs } from '../../pki/algorithms.js';
import {
  GovAlreadyExistsError,
  GovInvalidArgumentError,
  GovNotFoundError,
  GovRootNotRevocableError,
  GovValidatorBoundError,
} from './errors.js';
import { certOf, checkLeaf, checkOperatorCa, issuingOperator, rootOf } from './identity.js';
import { ACTION_SCHEMAS, parseWith, recordName, type ActionArgs } from './schemas.js';
import type { GovState } from './state.js';
import { checkTrustCode } from './trust-code.js';
import { appStatus, createApp, placeApp } from './app-actions.js';
import { addAppUser, inviteMember, joinApp, removeAppUser, removeMember } from './app-members.js';
import { APP_ACTIONS, type GovAction, type RecordStatus } from './types.js';

/*
 * The actions a passed proposal carries out. `prepareAction` validates the arguments against the
 * state of the moment (at propose time, and again when the proposal passes, since the registry
 * may have changed in between) and returns what the rules need (the concerned operators) and a
 * change that cannot fail. Nothing is written until `apply`.
 */

export interface ActionContext {
  readonly height: number;
  /** Block time, ms. */
  readonly time: number;
  /** The id of the proposal carrying the action. */
  readonly proposal: string;
  /** The proposer's voter name (an org's name for the app actions that need an org). */
  readonly proposer: string;
  /** The network's suite (the gov chain's): the only one apps may run. */
  readonly suite: string;
}

export interface PreparedAction {
  /** The arguments as validated (certificates as canonical PEM). */
  readonly args: Readonly<Record<string, unknown>>;
  /** Operator names for 'concerned-operators'; 'root' when the root issued the certificate concerned. */
  readonly concerned: readonly string[] | 'root';
  /** For 'app-owner': the owner org of the app the action concerns. */
  readonly appOwner?: string;
  apply(state: GovState): void;
}

type Handler<A extends GovAction> = (state: GovState, args: ActionArgs<A>, ctx: ActionContext) => PreparedAction;
type ByNameHandler = (state: GovState, args: { name: string }, ctx: ActionContext) => PreparedAction;

/** Actions that may shrink the validator set, checked against minValidators. */
const SHRINKING = new Set<GovAction>(['suspend-operator', 'remove-operator', 'suspend-node', 'remove-node', 'revoke']);

export function prepareAction(state: GovState, action: GovAction, raw: unknown, ctx: ActionContext): PreparedAction {
  const args = parseWith(ACTION_SCHEMAS[action] as z.ZodType<unknown>, raw, `${action} arguments`);
  const prepared = (HANDLERS[action] as Handler<GovAction>)(state, args as ActionArgs<GovAction>, ctx);
  if (SHRINKING.has(action)) checkValidatorBound(state, prepared);
  return prepared;
}

function checkValidatorBound(state: GovState, prepared: PreparedAction): void {
  const before = state.validators().length;
  const trial = state.clone();
  prepared.apply(trial);
  const after = trial.validators().length;
  const bound = Math.max(1, state.globals.minValidators);
  if (after < before && after < bound) {
    throw new GovValidatorBoundError(`this would leave ${after} validators; the governance chain keeps at least ${bound}`);
  }
}

const canonicalPem = (cert: ParsedCertificate): string => encodePem('CERTIFICATE', cert.der);

function setStatus<T extends { status: RecordStatus; since: number }>(map: Map<string, T>, name: string, record: T, status: RecordStatus, height: number): void {
  map.set(name, { ...record, status, since: height });
}

/** The record of `name`, which must be in `allowed` status. */
function existing<T extends { status: RecordStatus }>(map: ReadonlyMap<string, T>, kind: string, name: string, allowed: readonly RecordStatus[]): T {
  const record = map.get(name);
  if (!record || record.status === 'removed') throw new GovNotFoundError(`no ${kind} '${name}'`);
  if (!allowed.includes(record.status)) throw new GovInvalidArgumentError(`${kind} '${name}' is ${record.status}`);
  return record;
}

function fingerprintUsed(state: GovState, fp: string): boolean {
  const m = state.maps;
  return (
    fp === state.globals.authority.fingerprint ||
    [...m.operator.values()].some((o) => o.caFingerprint === fp || o.admins.includes(fp)) ||
    [...m.node.values()].some((n) => n.fingerprint === fp) ||
    [...m.org.values()].some((o) => o.fingerprint === fp)
  );
}

const admitOperator: Handler<'admit-operator'> = (state, args, ctx) => {
  const cert = certOf(args.cert);
  checkOperatorCa(state, cert, ctx.time);
  if (state.nameTaken(args.name)) throw new GovAlreadyExistsError(`the name '${args.name}' is taken`);
  if (fingerprintUsed(state, cert.fingerprint)) throw new GovAlreadyExistsError(`'${cert.subjectText}' is registered already`);
  const caCertPem = canonicalPem(cert);
  return {
    args: { cert: caCertPem, name: args.name },
    concerned: [],
    apply: (s) =>
      s.maps.operator.set(args.name, { name: args.name, caCertPem, caFingerprint: cert.fingerprint, subject: cert.subjectText, admins: [], status: 'active', since: ctx.height }),
  };
};

const operatorStatus =
  (status: 'suspended' | 'removed'): ByNameHandler =>
  (state, args, ctx) => {
    const op = existing(state.maps.operator, 'operator', args.name, status === 'suspended' ? ['active'] : ['active', 'suspended']);
    return { args, concerned: [args.name], apply: (s) => setStatus(s.maps.operator, args.name, op, status, ctx.height) };
  };

const addNode: Handler<'add-node'> = (state, args, ctx) => {
  const cert = certOf(args.cert);
  const operator = checkLeaf(state, cert, 'node', ctx.time);
  const name = nameValue(cert.subject, 'CN') ?? '';
  if (!recordName.safeParse(name).success) throw new GovInvalidArgumentError(`the node certificate's CN '${name}' is not a valid node name`);
  if (state.maps.node.has(name)) throw new GovAlreadyExistsError(`there is a node '${name}' already`);
  if (fingerprintUsed(state, cert.fingerprint)) throw new GovAlreadyExistsError(`'${cert.subjectText}' is registered already`);
  const certPem = canonicalPem(cert);
  const { city, p2p, gateway } = args;
  const record = {
    name,
    operator: operator.name,
    certPem,
    fingerprint: cert.fingerprint,
    publicKey: Buffer.from(cert.publicKey.bytes).toString('hex'),
    region: args.region,
    ...(city !== undefined && { city }),
    ...(p2p !== undefined && { p2p }),
    ...(gateway !== undefined && { gateway }),
    power: args.power ?? 1,
    status: 'active' as const,
    since: ctx.height,
  };
  return { args: { ...args, cert: certPem }, concerned: [operator.name], apply: (s) => s.maps.node.set(name, record) };
};

const nodeStatus =
  (status: 'suspended' | 'removed'): ByNameHandler =>
  (state, args, ctx) => {
    const node = existing(state.maps.node, 'node', args.name, status === 'suspended' ? ['active'] : ['active', 'suspended']);
    return { args, concerned: [node.operator], apply: (s) => setStatus(s.maps.node, args.name, node, status, ctx.height) };
  };

const registerOrg: Handler<'register-org'> = (state, args, ctx) => {
  checkTrustCode(args.trustCode);
  const cert = certOf(args.cert);
  const operator = checkLeaf(state, cert, 'org', ctx.time);
  if (state.nameTaken(args.name)) throw new GovAlreadyExistsError(`the name '${args.name}' is taken`);
  if (fingerprintUsed(state, cert.fingerprint)) throw new GovAlreadyExistsError(`'${cert.subjectText}' is registered already`);
  const certPem = canonicalPem(cert);
  const record = {
    name: args.name,
    operator: operator.name,
    certPem,
    fingerprint: cert.fingerprint,
    roles: args.roles,
    trustCode: args.trustCode,
    ...(args.contact !== undefined && { contact: args.contact }),
    status: 'active' as const,
    since: ctx.height,
  };
  return { args: { ...args, cert: certPem }, concerned: [operator.name], apply: (s) => s.maps.org.set(args.name, record) };
};

const suspendOrg: Handler<'suspend-org'> = (state, args, ctx) => {
  const org = existing(state.maps.org, 'org', args.name, ['active']);
  return { args, concerned: [org.operator], apply: (s) => setStatus(s.maps.org, args.name, org, 'suspended', ctx.height) };
};

const revoke: Handler<'revoke'> = (state, args, ctx) => {
  const cert = certOf(args.cert);
  const root = rootOf(state);
  if (cert.fingerprint === root.fingerprint || namesEqual(cert.subject, root.subject)) throw new GovRootNotRevocableError('the root certificate cannot be revoked by governance');
  if (state.isRevoked(cert.fingerprint)) throw new GovAlreadyExistsError(`'${cert.subjectText}' is revoked already`);
  let issuer: ParsedCertificate;
  let concerned: readonly string[] | 'root';
  const operator = issuingOperator(cert, [...state.maps.operator.values()]);
  if (namesEqual(cert.issuer, root.subject)) [issuer, concerned] = [root, 'root'];
  else if (operator) [issuer, concerned] = [certOf(operator.caCertPem), [operator.name]];
  else throw new GovInvalidArgumentError(`'${cert.subjectText}' is issued by '${cert.issuerText}', neither the root nor an operator of the registry`);
  // A look-alike with the serial of a real certificate would otherwise revoke that one in CRLs.
  if (!signedBy(cert, issuer)) {
    throw new GovInvalidArgumentError(`'${cert.subjectText}' is not signed by '${issuer.subjectText}'`);
  }
  const record = {
    issuer: cert.issuerText,
    issuerFingerprint: issuer.fingerprint,
    serial: cert.serial,
    fingerprint: cert.fingerprint,
    subject: cert.subjectText,
    reason: args.reason,
    time: ctx.time,
    height: ctx.height,
    proposal: ctx.proposal,
  };
  return { args: { ...args, cert: canonicalPem(cert) }, concerned, apply: (s) => s.maps.revocation.set(cert.fingerprint, record) };
};

function signedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return verifyTbs(issuer.publicKey, cert.signatureAlgorithm, cert.tbs, cert.signature);
  } catch (cause) {
    if (cause instanceof BsnError) return false;
    throw cause;
  }
}

const setPlan: Handler<'set-plan'> = (_state, args) => ({ args, concerned: [], apply: (s) => s.maps.plan.set(args.plan.name, args.plan) });
/** Refuses a rule no proposal could ever satisfy, a set-rule rule above all (it would lock governance). */
const setRule: Handler<'set-rule'> = (state, args) => {
  for (const [i, c] of args.rule.clauses.entries()) {
    if (c.voters === 'app-owner' && !APP_ACTIONS.includes(args.rule.action)) throw new GovInvalidArgumentError(`clause ${i}: '${args.rule.action}' concerns no app, so it has no app owner`);
    if (typeof c.voters === 'object' && !c.voters.identities.some((name) => isVoterName(state, name))) {
      throw new GovInvalidArgumentError(`clause ${i}: none of ${c.voters.identities.join(', ')} is a registered voter`);
    }
    if (typeof c.threshold === 'object' && 'atLeast' in c.threshold && typeof c.voters === 'object' && c.threshold.atLeast > c.voters.identities.length) {
      throw new GovInvalidArgumentError(`clause ${i}: at least ${c.threshold.atLeast} of ${c.voters.identities.length} voters can never be met`);
    }
  }
  return { args, concerned: [], apply: (s) => s.maps.rule.set(args.rule.action, args.rule) };
};

/** A voter name of the registry: the authority, an active operator or an active org. */
export function isVoterName(state: GovState, name: string): boolean {
  return name === 'authority' || state.activeOperators().some((o) => o.name === name) || state.maps.org.get(name)?.status === 'active';
}

const HANDLERS: { [A in GovAction]: Handler<A> } = {
  'admit-operator': admitOperator,
  'suspend-operator': operatorStatus('suspended'),
  'remove-operator': operatorStatus('removed'),
  'add-node': addNode,
  'suspend-node': nodeStatus('suspended'),
  'remove-node': nodeStatus('removed'),
  'register-org': registerOrg,
  'suspend-org': suspendOrg,
  revoke,
  'set-plan': setPlan,
  'set-rule': setRule,
  'create-app': createApp,
  'invite-member': inviteMember,
  'join-app': joinApp,
  'remove-member': removeMember,
  'add-app-user': addAppUser,
  'remove-app-user': removeAppUser,
  'place-app': placeApp,
  'freeze-app': appStatus('freeze-app'),
  'unfreeze-app': appStatus('unfreeze-app'),
  'retire-app': appStatus('retire-app'),
};
