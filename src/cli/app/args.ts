import { APP_INDUSTRIES } from '../../execution/gov/types.js';
import { parseCertificatePem } from '../../pki/index.js';
import { parsePositiveInt, readInputFile } from '../ca/common.js';
import { CliUsageError } from '../output.js';

/*
 * The arguments of the app actions (docs/governance.md, "The app actions") from the flags of
 * `bsn app …` (docs/apps.md). What a flag can get wrong is refused here as CLI_USAGE, before any
 * key is unlocked or gateway asked; what depends on the registry (is the org a developer, is the
 * node active, does the role exist) is the chain's to refuse, with its GOV_* code.
 */

type Args = Record<string, unknown>;

/** As src/execution/gov/schemas.ts `appId`: a chain id, never the governance chain's. */
const APP_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** As the gov schemas' record names (orgs, nodes, roles, users). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function appIdOf(id: string | undefined): string {
  if (id === undefined || !APP_ID.test(id) || id === 'gov') {
    throw new CliUsageError(`an app id is a chain id: 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit, not 'gov'; got '${id ?? ''}'`);
  }
  return id;
}

function need(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value.trim() === '') throw new CliUsageError(`bsn app ${command} needs ${flag}`);
  return value.trim();
}

function name(value: string | undefined, flag: string, command: string): string {
  const v = need(value, flag, command);
  if (!NAME.test(v)) throw new CliUsageError(`${flag.split(' ')[0]} must be a name of lowercase letters, digits, '.', '_' or '-' (at most 63), got '${v}'`);
  return v;
}

/** `a,b,c` as node names: at least one, none twice. */
export function nodeList(value: string, flag: string): string[] {
  const list = value.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  if (list.length === 0) throw new CliUsageError(`${flag} takes node names, comma-separated (node1,node2), got '${value}'`);
  const bad = list.find((n) => !NAME.test(n));
  if (bad !== undefined) throw new CliUsageError(`${flag}: '${bad}' is not a node name`);
  const twice = list.find((n, i) => list.indexOf(n) !== i);
  if (twice !== undefined) throw new CliUsageError(`${flag} names '${twice}' twice`);
  return list;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliUsageError(`${flag} takes ${allowed.join(' or ')}, got '${value}'`);
  return value as T;
}

/** A roles file holds the array of roles, or `{ "roles": [...] }`; the chain validates each role. */
function rolesFile(file: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(readInputFile(file, 'roles file'));
  } catch (cause) {
    if (cause instanceof CliUsageError) throw cause;
    throw new CliUsageError(`roles file '${file}' is not JSON`, { cause });
  }
  const roles = Array.isArray(value) ? value : typeof value === 'object' && value !== null && Array.isArray((value as { roles?: unknown }).roles) ? (value as { roles: unknown[] }).roles : undefined;
  if (!roles || roles.length === 0) throw new CliUsageError(`roles file '${file}' must hold a non-empty JSON array of roles (or { "roles": [...] })`);
  return roles;
}

const defined = (entries: Args): Args => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));

export interface CreateFlags {
  readonly framework?: string;
  readonly nodes?: string;
  readonly name?: string;
  readonly keyMode?: string;
  readonly industry?: string;
  readonly plan?: string;
  readonly rolesFile?: string;
  readonly minValidators?: string;
}

/** create-app's arguments: `owner` is left to the chain (the proposer). */
export function createArgs(id: string, flags: CreateFlags): Args {
  const app = appIdOf(id);
  const framework = oneOf(need(flags.framework, '--framework evm|kv', 'create'), ['evm', 'kv'] as const, '--framework');
  const placement = nodeList(need(flags.nodes, '--nodes a,b,c', 'create'), '--nodes');
  const minValidators = flags.minValidators === undefined ? undefined : parsePositiveInt(flags.minValidators, '--min-validators');
  if (minValidators !== undefined && minValidators > placement.length) throw new CliUsageError(`--min-validators ${minValidators} is more than the ${placement.length} node(s) of --nodes`);
  if (flags.name !== undefined && (flags.name.length === 0 || flags.name.length > 128)) throw new CliUsageError('--name takes 1 to 128 characters');
  return defined({
    id: app,
    framework,
    placement,
    name: flags.name,
    keyMode: oneOf(flags.keyMode, ['hosted', 'upload'] as const, '--key-mode'),
    industry: oneOf(flags.industry, APP_INDUSTRIES, '--industry'),
    plan: flags.plan === undefined ? undefined : name(flags.plan, '--plan P', 'create'),
    roles: flags.rolesFile === undefined ? undefined : rolesFile(flags.rolesFile),
    minValidators,
  });
}

export function placeArgs(id: string, flags: { readonly add?: string; readonly remove?: string }): Args {
  const app = appIdOf(id);
  const add = flags.add === undefined ? undefined : nodeList(flags.add, '--add');
  const remove = flags.remove === undefined ? undefined : nodeList(flags.remove, '--remove');
  if (!add && !remove) throw new CliUsageError('bsn app place needs --add a,b or --remove c (or both)');
  const both = add?.find((n) => remove?.includes(n));
  if (both !== undefined) throw new CliUsageError(`'${both}' is both added and removed`);
  return defined({ app, add, remove });
}

export const orgArgs = (id: string, org: string | undefined, command: string): Args => ({ app: appIdOf(id), org: name(org, '--org ORG', command) });

export const joinArgs = (id: string, flags: { readonly role?: string; readonly node?: string }): Args => ({
  app: appIdOf(id),
  role: name(flags.role, '--role R', 'join'),
  node: name(flags.node, '--node N', 'join'),
});

export interface UserFlags {
  readonly name?: string;
  readonly role?: string;
  readonly address?: string;
  readonly userCert?: string;
}

/** add-app-user: an address (evm apps in upload mode), a user certificate (every other app), or both. */
export function userAddArgs(id: string, flags: UserFlags): Args {
  const app = appIdOf(id);
  const user = name(flags.name, '--name N', 'user add');
  const role = name(flags.role, '--role R', 'user add');
  if (flags.address === undefined && flags.userCert === undefined) throw new CliUsageError('bsn app user add needs --address 0x… (an evm app in upload mode) or --user-cert FILE');
  if (flags.address !== undefined && !ADDRESS.test(flags.address)) throw new CliUsageError(`--address must be 0x and 40 hex digits, got '${flags.address}'`);
  let cert: string | undefined;
  if (flags.userCert !== undefined) {
    cert = readInputFile(flags.userCert, 'user certificate');
    parseCertificatePem(cert);
    cert = cert.trim() + '\n';
  }
  return defined({ app, name: user, role, address: flags.address, cert });
}

export const userRemoveArgs = (id: string, flags: { readonly name?: string }): Args => ({ app: appIdOf(id), name: name(flags.name, '--name N', 'user remove') });
