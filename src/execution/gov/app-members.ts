import { keccak256 } from '../../crypto/index.js';
import {
  GovAlreadyExistsError,
  GovInvalidArgumentError,
  GovNodeNotPlacedError,
  GovNotAppPartyError,
  GovNotFoundError,
  GovNotInvitedError,
} from './errors.js';
import { appOf, checkActiveNodes, roleOf, updateApp, type AppHandler } from './app-actions.js';
import { certOf, checkLeaf } from './identity.js';
import type { GovState } from './state.js';
import type { AppMember, AppRecord, AppUser } from './types.js';

/*
 * Who takes part in an app: member orgs (invited by the owner, joining with a role and a city
 * node, approved by the owner) and their users (a certificate, or an Ethereum address for evm
 * apps in upload mode). The rule of each is app-owner ANY: the owner's own proposals pass at once.
 */

const withMember = (members: readonly AppMember[], member: AppMember): AppMember[] => [...members.filter((m) => m.org !== member.org), member].sort((a, b) => (a.org < b.org ? -1 : 1));

/** The owner or an active member: who may register users of its own. */
function isParty(app: AppRecord, org: string): boolean {
  return org === app.owner || app.members.some((m) => m.org === org && m.status === 'active');
}

export const inviteMember: AppHandler<'invite-member'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'refuse');
  const org = state.maps.org.get(args.org);
  if (org?.status !== 'active') throw new GovNotFoundError(`no active org '${args.org}'`);
  if (!org.roles.includes('member') && !org.roles.includes('developer')) throw new GovInvalidArgumentError(`org '${org.name}' has neither the member nor the developer role`);
  if (org.name === app.owner) throw new GovInvalidArgumentError(`org '${org.name}' owns app '${app.id}'`);
  const current = app.members.find((m) => m.org === org.name);
  if (current && current.status !== 'removed') throw new GovAlreadyExistsError(`org '${org.name}' is ${current.status} in app '${app.id}' already`);
  return {
    args,
    concerned: [],
    appOwner: app.owner,
    apply: (s) => updateApp(s, app.id, ctx.height, (a) => ({ members: withMember(a.members, { org: org.name, status: 'invited', since: ctx.height }) })),
  };
};

/** Proposed by the invited org itself; the owner's yes makes it an active member. */
export const joinApp: AppHandler<'join-app'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'refuse');
  const member = app.members.find((m) => m.org === ctx.proposer);
  if (member?.status !== 'invited') {
    throw new GovNotInvitedError(`'${ctx.proposer}' is ${member ? member.status : 'not invited'} in app '${app.id}'${member?.status === 'active' ? ' already' : ''}`);
  }
  roleOf(app, args.role);
  if (!app.placement.includes(args.node)) throw new GovNodeNotPlacedError(`app '${app.id}' is not placed on '${args.node}' (placement: ${app.placement.join(', ')})`);
  checkActiveNodes(state, [args.node]);
  const joined: AppMember = { org: ctx.proposer, role: args.role, node: args.node, status: 'active', since: ctx.height };
  return {
    args,
    concerned: [],
    appOwner: app.owner,
    apply: (s) => updateApp(s, app.id, ctx.height, (a) => ({ members: withMember(a.members, joined) })),
  };
};

/** The member's users go with it: every user of an app is the owner's or an active member's. */
export const removeMember: AppHandler<'remove-member'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'allow');
  const member = app.members.find((m) => m.org === args.org);
  if (!member || member.status === 'removed') throw new GovNotFoundError(`'${args.org}' is not a member of app '${app.id}'`);
  return {
    args,
    concerned: [],
    appOwner: app.owner,
    apply: (s) =>
      updateApp(s, app.id, ctx.height, (a) => ({
        members: withMember(a.members, { ...member, status: 'removed', since: ctx.height }),
        users: a.users.filter((u) => u.org !== args.org),
      })),
  };
};

/** A 0x address, lower-cased; a mixed-case one must carry a valid EIP-55 checksum (a typo shows). */
export function checkAddress(address: string): string {
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return `0x${hex.toLowerCase()}`;
  const hash = Buffer.from(keccak256(new TextEncoder().encode(hex.toLowerCase()))).toString('hex');
  for (let i = 0; i < 40; i++) {
    const upper = parseInt(hash[i]!, 16) >= 8;
    if (/[a-f]/i.test(hex[i]!) && (hex[i] === hex[i]!.toUpperCase()) !== upper) throw new GovInvalidArgumentError(`address ${address} has a wrong EIP-55 checksum`);
  }
  return `0x${hex.toLowerCase()}`;
}

/** A user certificate of the proposer org: issued by the org's operator, bound to the org and app when it names them. */
function userFingerprint(state: GovState, app: AppRecord, org: string, pem: string, time: number): string {
  const cert = certOf(pem, 'user certificate');
  const operator = checkLeaf(state, cert, 'user', time);
  const orgRecord = state.maps.org.get(org);
  if (orgRecord?.operator !== operator.name) throw new GovInvalidArgumentError(`'${cert.subjectText}' is issued by ${operator.name}, not by ${org}'s operator ${orgRecord?.operator ?? '(none)'}`);
  const id = cert.extensions.identity;
  if (id?.org !== undefined && id.org !== org) throw new GovInvalidArgumentError(`'${cert.subjectText}' is a user of org '${id.org}', not of '${org}'`);
  if (id?.app !== undefined && id.app !== app.id) throw new GovInvalidArgumentError(`'${cert.subjectText}' is bound to app '${id.app}', not '${app.id}'`);
  return cert.fingerprint;
}

/** Proposed by the owner or an active member, for a user of its own. */
export const addAppUser: AppHandler<'add-app-user'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'refuse');
  if (!isParty(app, ctx.proposer)) throw new GovNotAppPartyError(`'${ctx.proposer}' is neither the owner nor an active member of app '${app.id}'`);
  roleOf(app, args.role);
  if (app.users.some((u) => u.name === args.name)) throw new GovAlreadyExistsError(`app '${app.id}' has a user '${args.name}' already`);
  const byAddress = app.framework === 'evm' && app.keyMode === 'upload';
  if (byAddress && args.address === undefined) throw new GovInvalidArgumentError(`app '${app.id}' is evm in upload mode: a user is registered by its address`);
  if (!byAddress && args.address !== undefined) throw new GovInvalidArgumentError(`an address registers users of evm apps in upload mode only; app '${app.id}' is ${app.framework}, ${app.keyMode}`);
  if (!byAddress && args.cert === undefined) throw new GovInvalidArgumentError(`app '${app.id}' registers a user by its certificate (cert)`);
  const address = args.address === undefined ? undefined : checkAddress(args.address);
  if (address !== undefined && app.users.some((u) => u.address === address)) throw new GovAlreadyExistsError(`address ${address} is a user of app '${app.id}' already`);
  const fingerprint = args.cert === undefined ? undefined : userFingerprint(state, app, ctx.proposer, args.cert, ctx.time);
  if (fingerprint !== undefined && app.users.some((u) => u.fingerprint === fingerprint)) throw new GovAlreadyExistsError(`that certificate is a user of app '${app.id}' already`);
  const user: AppUser = { name: args.name, org: ctx.proposer, role: args.role, ...(fingerprint !== undefined && { fingerprint }), ...(address !== undefined && { address }) };
  return {
    args: { ...args, ...(address !== undefined && { address }) },
    concerned: [],
    appOwner: app.owner,
    apply: (s) => updateApp(s, app.id, ctx.height, (a) => ({ users: [...a.users, user].sort((x, y) => (x.name < y.name ? -1 : 1)) })),
  };
};

/** Proposed by the owner (any user) or by the user's own org. */
export const removeAppUser: AppHandler<'remove-app-user'> = (state, args, ctx) => {
  const app = appOf(state, args.app, 'allow');
  const user = app.users.find((u) => u.name === args.name);
  if (!user) throw new GovNotFoundError(`app '${app.id}' has no user '${args.name}'`);
  if (ctx.proposer !== app.owner && ctx.proposer !== user.org) throw new GovNotAppPartyError(`'${ctx.proposer}' is neither the owner of app '${app.id}' nor the org of user '${user.name}'`);
  return {
    args,
    concerned: [],
    appOwner: app.owner,
    apply: (s) => updateApp(s, app.id, ctx.height, (a) => ({ users: a.users.filter((u) => u.name !== args.name) })),
  };
};
