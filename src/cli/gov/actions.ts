import { GOV_ACTIONS, ORG_ROLES, type GovAction } from '../../execution/gov/types.js';
import { REVOCATION_REASON_NAMES } from '../../execution/gov/schemas.js';
import { parseCertificatePem } from '../../pki/index.js';
import { parsePositiveInt, readInputFile } from '../ca/common.js';
import { CliUsageError } from '../output.js';

/*
 * The arguments of each governance action, from the flags of `bsn gov propose ACTION`
 * (docs/governance.md, "Commands"). Only what a flag can get wrong is checked here (a missing
 * flag, a file that is not a certificate, a role or reason not in the list); the state machine
 * validates the rest (trust codes, issuers, the validator bound) and its typed error comes back.
 */

export interface ActionFlags {
  readonly cert?: string;
  readonly name?: string;
  readonly region?: string;
  readonly city?: string;
  readonly p2p?: string;
  readonly gateway?: string;
  readonly power?: string;
  readonly roles?: string;
  readonly trustCode?: string;
  readonly contact?: string;
  readonly reason?: string;
  readonly planFile?: string;
  readonly ruleFile?: string;
  /** The arguments object (JSON) of an action without flags of its own: the app actions (docs/governance.md, "Apps"). */
  readonly argsFile?: string;
  readonly expires?: string;
}

type Args = Record<string, unknown>;

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Longest expiry accepted: a year (a proposal that outlives that is a typo). */
const MAX_EXPIRY_MS = 366 * UNIT_MS.d;

/** `--expires 30m|24h|7d|90s` as milliseconds; 24 h when not given. */
export function parseExpiry(value: string | undefined): number {
  if (value === undefined) return UNIT_MS.h * 24;
  const m = DURATION.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms > 0) || ms > MAX_EXPIRY_MS) throw new CliUsageError(`--expires must be a duration such as 90s, 30m, 24h or 7d (at most 366d), got '${value}'`);
  return ms;
}

export function parseAction(action: string): GovAction {
  if (!(GOV_ACTIONS as readonly string[]).includes(action)) throw new CliUsageError(`unknown action '${action}' (actions: ${GOV_ACTIONS.join(', ')})`);
  return action as GovAction;
}

function need<K extends keyof ActionFlags>(flags: ActionFlags, key: K, flag: string, action: GovAction): string {
  const value = flags[key];
  if (value === undefined || value === '') throw new CliUsageError(`${action} needs ${flag}`);
  return value;
}

function certPem(flags: ActionFlags, action: GovAction): string {
  const file = need(flags, 'cert', '--cert FILE', action);
  const text = readInputFile(file, 'certificate');
  parseCertificatePem(text);
  return text.trim() + '\n';
}

function commonNameOf(pem: string, action: GovAction): string {
  const cn = /(?:^|, )CN=([^,]+)/.exec(parseCertificatePem(pem).subjectText)?.[1];
  if (cn === undefined) throw new CliUsageError(`${action}: the certificate has no CN; give --name N`);
  return cn;
}

function jsonFile(file: string, what: string): Args {
  let value: unknown;
  try {
    value = JSON.parse(readInputFile(file, what));
  } catch (cause) {
    if (cause instanceof CliUsageError) throw cause;
    throw new CliUsageError(`${what} '${file}' is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliUsageError(`${what} '${file}' must hold a JSON object`);
  return value as Args;
}

/** A plan or rule file holds the record itself, or `{ "plan": … }` / `{ "rule": … }` as the action takes it. */
const wrapped = (key: string, value: Args): Args => (Object.keys(value).length === 1 && key in value ? value : { [key]: value });

const optional = (entries: Record<string, unknown>): Args => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));

function roles(value: string, action: GovAction): string[] {
  const list = value.split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  const bad = list.filter((r) => !(ORG_ROLES as readonly string[]).includes(r));
  if (list.length === 0 || bad.length > 0) throw new CliUsageError(`${action}: --roles takes ${ORG_ROLES.join(', ')} (comma-separated), got '${value}'`);
  return list;
}

function reason(value: string | undefined): string {
  const r = value ?? 'unspecified';
  if (!(REVOCATION_REASON_NAMES as readonly string[]).includes(r)) throw new CliUsageError(`--reason must be one of ${REVOCATION_REASON_NAMES.join(', ')}, got '${r}'`);
  return r;
}

/** The arguments object of `action` from its flags; throws CliUsageError naming the flag at fault. */
export function actionArgs(action: GovAction, flags: ActionFlags): Args {
  switch (action) {
    case 'admit-operator':
      return { cert: certPem(flags, action), name: need(flags, 'name', '--name N', action) };
    case 'suspend-operator':
    case 'remove-operator':
    case 'suspend-node':
    case 'remove-node':
    case 'suspend-org':
      return { name: need(flags, 'name', '--name N', action) };
    case 'add-node':
      return optional({
        cert: certPem(flags, action),
        region: need(flags, 'region', '--region R', action),
        city: flags.city,
        p2p: flags.p2p,
        gateway: flags.gateway,
        power: flags.power === undefined ? undefined : parsePositiveInt(flags.power, '--power'),
      });
    case 'register-org': {
      const cert = certPem(flags, action);
      return optional({
        cert,
        // The org's name defaults to its certificate's CN (`bsn ca issue --kind org --name acme`).
        name: flags.name ?? commonNameOf(cert, action),
        roles: roles(need(flags, 'roles', '--roles a,b', action), action),
        trustCode: need(flags, 'trustCode', '--trust-code X', action),
        contact: flags.contact,
      });
    }
    case 'revoke':
      return { cert: certPem(flags, action), reason: reason(flags.reason) };
    case 'set-plan':
      return wrapped('plan', jsonFile(need(flags, 'planFile', '--plan-file F', action), 'plan file'));
    case 'set-rule':
      return wrapped('rule', jsonFile(need(flags, 'ruleFile', '--rule-file F', action), 'rule file'));
    default:
      // The app actions take their arguments as one JSON object until `bsn app` has flags for them.
      return jsonFile(need(flags, 'argsFile', '--args-file F', action), 'arguments file');
  }
}
