import type { Command } from 'commander';
import { BsnError } from '../errors.js';
import type { GovAction, NodeRecord, ProposalRecord } from '../execution/gov/types.js';
import { gatewayUrl, loadLayout } from '../network/devnet.js';
import type { GovClient } from '../sdk/gov-client.js';
import { usageErrorsAsTyped } from './ca/common.js';
import { appIdOf, createArgs, joinArgs, orgArgs, placeArgs, userAddArgs, userRemoveArgs, type CreateFlags, type UserFlags } from './app/args.js';
import { listLines, memberLines, pendingApprovers, placedNodes, showLines, toleranceText } from './app/format.js';
import { parseExpiry } from './gov/actions.js';
import { connectGov, resolveSigner, type ConnectFlags, type IdentityFlags } from './gov/connect.js';
import { proposalLine } from './gov/format.js';
import { proposalIdOf, proposeTx, voteTx } from './gov/sign.js';
import { makeOutput } from './output.js';

/*
 * `bsn app …` (docs/apps.md): an app's lifecycle as governance proposals (docs/governance.md,
 * "Apps"), signed by the org that acts and submitted through a gateway's /gov routes, and the
 * app's record read back. Every flag is checked before any key is unlocked or gateway asked; the
 * chain's refusals come back with their GOV_* code, as with `bsn gov`.
 */

/** `bsn app approve`: the org has no open join-app proposal for the app to approve. */
export class AppNoOpenJoinError extends BsnError {
  readonly code = 'CLI_APP_NO_OPEN_JOIN';
}

interface AppFlags extends IdentityFlags {
  readonly json?: boolean;
  /** The signer's certificate (with --key-file): for `bsn app` it is who signs. */
  readonly cert?: string;
  /** The gateway, where `--node` names a city node (join); elsewhere the same as --node URL. */
  readonly gateway?: string;
  readonly expires?: string;
}

type Args = Record<string, unknown>;

/** Where to connect: --gateway, else --node URL (but for join, whose --node is a city node), else --dir. */
function connection(flags: AppFlags, nodeIsCityNode = false): ConnectFlags {
  const node = flags.gateway ?? (nodeIsCityNode ? undefined : flags.node);
  return { ...(flags.dir !== undefined && { dir: flags.dir }), ...(node !== undefined && { node }), ...(flags.rootCert !== undefined && { rootCert: flags.rootCert }) };
}

const signerFlags = (flags: AppFlags): IdentityFlags => ({ ...flags, ...(flags.cert !== undefined && { signerCert: flags.cert }) });

interface Submitted {
  readonly id: string;
  readonly hash: string;
  readonly height: number;
  readonly proposal?: ProposalRecord;
}

/** Signs `action` with the signer's next nonce, submits it and waits for its commit. */
async function proposeApp(action: GovAction, args: Args, flags: AppFlags, nodeIsCityNode = false): Promise<Submitted> {
  const expiresAt = Date.now() + parseExpiry(flags.expires);
  const signer = await resolveSigner(signerFlags(flags));
  const client = await connectGov(connection(flags, nodeIsCityNode));
  const nonce = await client.nonce(signer.cert.fingerprint);
  const tx = proposeTx(signer, nonce, action, args, expiresAt);
  const r = await client.submit(tx);
  return { id: r.proposal?.id ?? proposalIdOf(tx), hash: r.hash, height: r.height, ...(r.proposal && { proposal: r.proposal }) };
}

/** The JSON and the lines every write prints: the proposal, its status and who must still approve. */
function report(flags: AppFlags, action: GovAction, app: string, r: Submitted, extra: { data?: Args; lines?: string[] } = {}): void {
  const awaiting = r.proposal ? pendingApprovers(r.proposal) : [];
  const lines = [r.proposal ? proposalLine(r.proposal) : `proposal ${r.id} committed at height ${r.height}`, ...(awaiting.length > 0 ? [`awaiting approval by: ${awaiting.join(', ')}`] : []), ...(extra.lines ?? [])];
  const data = { ok: true, action, app, id: r.id, hash: r.hash, height: r.height, status: r.proposal?.status ?? null, awaiting, ...extra.data, proposal: r.proposal ?? null };
  makeOutput(Boolean(flags.json)).result(data, lines);
}

async function create(id: string, flags: AppFlags & CreateFlags): Promise<void> {
  const args = createArgs(id, flags);
  const n = (args['placement'] as string[]).length;
  const r = await proposeApp('create-app', args, flags);
  const tolerance = toleranceText(n);
  report(flags, 'create-app', id, r, { data: { nodes: n, f: Math.max(0, Math.floor((n - 1) / 3)), tolerance }, lines: [`placement: ${tolerance}`, `then: bsn app show ${id}`] });
}

/** Each node's gateway: its registry record's, else (on a bsn up network) the layout's. */
async function gatewaysOf(client: GovClient, flags: AppFlags): Promise<Map<string, string>> {
  const gateways = new Map<string, string>();
  const layout = flags.dir === undefined ? undefined : loadLayout(flags.dir);
  for (const n of layout?.nodes ?? []) {
    const url = gatewayUrl(layout!, n);
    if (url !== undefined) gateways.set(n.name, url);
  }
  for (const n of (await client.list('nodes')) as NodeRecord[]) if (n.gateway) gateways.set(n.name, n.gateway);
  return gateways;
}

async function show(id: string, flags: AppFlags): Promise<void> {
  const app = appIdOf(id);
  const client = await connectGov(connection(flags));
  const view = await client.app(app);
  const nodes = placedNodes(view, await gatewaysOf(client, flags));
  const data = { ...view, chainId: view.id, nodes, tolerance: toleranceText(nodes.length) };
  if (flags.json) return void process.stdout.write(`${JSON.stringify(data)}\n`);
  makeOutput(false).result({}, showLines(view, nodes));
}

async function list(flags: AppFlags): Promise<void> {
  const apps = await (await connectGov(connection(flags))).apps();
  if (flags.json) return void process.stdout.write(`${JSON.stringify(apps)}\n`);
  makeOutput(false).result({}, listLines(apps));
}

async function members(id: string, flags: AppFlags): Promise<void> {
  const view = await (await connectGov(connection(flags))).app(appIdOf(id));
  if (flags.json) return void process.stdout.write(`${JSON.stringify(view.members)}\n`);
  makeOutput(false).result({}, [`members of ${view.id} (owner ${view.owner ?? '?'}):`, ...memberLines(view)]);
}

/** The owner's yes on ORG's open join-app proposal, found in the app's view. */
async function approve(id: string, flags: AppFlags & { org?: string }): Promise<void> {
  const { app, org } = orgArgs(id, flags.org, 'approve') as { app: string; org: string };
  const signer = await resolveSigner(signerFlags(flags));
  const client = await connectGov(connection(flags));
  const member = (await client.app(app)).members.find((m) => m.org === org);
  if (member?.status !== 'accepted' || member.proposal === undefined) {
    throw new AppNoOpenJoinError(`org '${org}' has no open join-app proposal for app '${app}' (${member ? `it is ${member.status}` : 'it is not invited'})`);
  }
  const nonce = await client.nonce(signer.cert.fingerprint);
  const r = await client.submit(voteTx(signer, nonce, member.proposal, true));
  report(flags, 'join-app', app, { id: member.proposal, hash: r.hash, height: r.height, ...(r.proposal && { proposal: r.proposal }) }, { data: { org } });
}

/** A write whose arguments come from the flags alone. */
const write =
  <F>(action: GovAction, argsOf: (id: string, flags: F) => Args, nodeIsCityNode = false) =>
  async (id: string, flags: F & AppFlags): Promise<void> => {
    const args = argsOf(id, flags);
    report(flags, action, id, await proposeApp(action, args, flags, nodeIsCityNode));
  };

function withConnection(c: Command, options: { write: boolean; cityNode?: boolean }): Command {
  c.option('--dir <dir>', 'a network made by bsn up: its gateways (devnet.json) and identities', '.bsn');
  if (!options.cityNode) c.option('--node <url>', 'a gateway of any network (instead of --dir)');
  c.option('--gateway <url>', 'a gateway of any network (as --node URL)')
    .option('--root-cert <pem>', 'the root an HTTPS gateway chains to')
    .option('--json', 'machine-readable output');
  if (!options.write) return c;
  return c
    .option('--as <name>', 'sign as DIR/identities/NAME, a directory with cert.pem and key.pem, or an operator CA directory')
    .option('--cert <pem>', 'the signer certificate (with --key-file)')
    .option('--key-file <pem>', 'the signer private key (with --cert)')
    .option('--passphrase-file <file>', 'unlocks an encrypted key (default: DIR/pki/passphrase.txt)')
    .option('--expires <duration>', 'how long votes are taken: 90s, 30m, 24h, 7d', '24h');
}

export function registerAppCommands(program: Command): void {
  const app = usageErrorsAsTyped(program.command('app').description('apps on the service network: create, place, members, users, freeze (docs/apps.md)'));

  withConnection(app.command('create').description('propose an app (by a developer org); the chosen nodes\u2019 operators approve'), { write: true })
    .argument('<id>', 'the app id: its chain id')
    .option('--framework <evm|kv>', 'the app chain\u2019s framework')
    .option('--nodes <a,b,c>', 'the city nodes to place it on (4 or more tolerate one faulty node)')
    .option('--name <name>', 'a name for people (default: the id)')
    .option('--key-mode <hosted|upload>', 'hosted: the gateway keeps users\u2019 keys; upload: users bring their own (fixed for ever)')
    .option('--industry <industry>', 'finance, food-safety, vaccines, healthcare, logistics, energy, government, education, other')
    .option('--plan <plan>', 'the plan (default: the cheapest)')
    .option('--roles-file <file>', 'the roles (JSON array) and what each may do')
    .option('--min-validators <n>', 'a placement change may not leave fewer nodes (default: 4, or every node when fewer)')
    .action(create);

  withConnection(app.command('show').description('an app: status, chain ids, placement with gateway and JSON-RPC URLs, members, users, price'), { write: false }).argument('<id>').action(show);
  withConnection(app.command('list').description('every app record'), { write: false }).action(list);
  withConnection(app.command('members').description('an app\u2019s members and their status'), { write: false }).argument('<id>').action(members);

  withConnection(app.command('place').description('add or remove city nodes (their operators and the owner approve)'), { write: true })
    .argument('<id>')
    .option('--add <a,b>', 'nodes to add')
    .option('--remove <c>', 'nodes to remove')
    .action(write('place-app', placeArgs));

  withConnection(app.command('invite').description('invite an org (the owner\u2019s invitation passes at once)'), { write: true })
    .argument('<id>')
    .option('--org <org>', 'the org invited')
    .action(write('invite-member', (id, f: AppFlags & { org?: string }) => orgArgs(id, f.org, 'invite')));

  withConnection(app.command('join').description('accept an invitation (by the invited org), with a role and the city node it will use'), { write: true, cityNode: true })
    .argument('<id>')
    .option('--role <role>', 'one of the app\u2019s roles')
    .option('--node <node>', 'the city node (in the placement) whose gateway the org uses; connect with --dir or --gateway')
    .action(write('join-app', (id, f: AppFlags & { role?: string; node?: string }) => joinArgs(id, f), true));

  withConnection(app.command('approve').description('the owner\u2019s yes on an org\u2019s open join'), { write: true }).argument('<id>').option('--org <org>', 'the org that joined').action(approve);

  withConnection(app.command('remove-member').description('remove a member org (and its users)'), { write: true })
    .argument('<id>')
    .option('--org <org>', 'the member org')
    .action(write('remove-member', (id, f: AppFlags & { org?: string }) => orgArgs(id, f.org, 'remove-member')));

  for (const [verb, action, what] of [
    ['freeze', 'freeze-app', 'refuse writes, keep serving reads'],
    ['unfreeze', 'unfreeze-app', 'take writes again'],
    ['retire', 'retire-app', 'stop the app for good (its id stays taken)'],
  ] as const) {
    withConnection(app.command(verb).description(`${what} (the operators decide by majority)`), { write: true })
      .argument('<id>')
      .action(write(action, (id) => ({ app: appIdOf(id) })));
  }

  const user = app.command('user').description('an app\u2019s users');
  withConnection(user.command('add').description('add a user of the signer\u2019s org: an address (evm, upload mode) or a user certificate'), { write: true })
    .argument('<id>')
    .option('--name <name>', 'the user\u2019s name, unique in the app')
    .option('--role <role>', 'one of the app\u2019s roles')
    .option('--address <0x…>', 'the user\u2019s Ethereum address (evm apps in upload mode)')
    .option('--user-cert <pem>', 'the user\u2019s certificate (issued by the org\u2019s operator)')
    .action(write('add-app-user', (id, f: AppFlags & UserFlags) => userAddArgs(id, f)));
  withConnection(user.command('remove').description('remove a user (by the owner or the user\u2019s org)'), { write: true })
    .argument('<id>')
    .option('--name <name>', 'the user\u2019s name')
    .action(write('remove-app-user', (id, f: AppFlags & { name?: string }) => userRemoveArgs(id, f)));
}
