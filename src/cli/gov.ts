import type { Command } from 'commander';
import type { NodeRecord, ProposalRecord } from '../execution/gov/types.js';
import type { GovClient, GovList } from '../sdk/gov-client.js';
import { usageErrorsAsTyped } from './ca/common.js';
import { actionArgs, parseAction, parseExpiry, type ActionFlags } from './gov/actions.js';
import { connectGov, resolveSigner, type IdentityFlags, type Signer } from './gov/connect.js';
import { proposalLine, showLines, type ShowKind } from './gov/format.js';
import { proposalIdOf, proposeTx, voteTx } from './gov/sign.js';
import { CliUsageError, makeOutput } from './output.js';

/*
 * `bsn gov show|propose|vote` (docs/governance.md, "Commands"): read the governance chain's
 * registry, and sign and submit proposals and votes through a gateway's /gov routes.
 */

const SHOW_KINDS: readonly ShowKind[] = ['operators', 'nodes', 'orgs', 'rules', 'proposals', 'revocations', 'plans', 'apps', 'validators'];
const PROPOSAL_ID = /^(0x)?([0-9a-fA-F]{64})$/;

interface CommonFlags extends IdentityFlags {
  readonly json?: boolean;
}

function withConnection(c: Command): Command {
  return c
    .option('--dir <dir>', 'a network made by bsn up: its gateways (devnet.json) and identities (--node takes the gateway from elsewhere)', '.bsn')
    .option('--node <url>', 'a gateway of any network (instead of --dir)')
    .option('--root-cert <pem>', 'the root an HTTPS gateway (--node https://…) chains to')
    .option('--as <name>', 'act as DIR/identities/NAME, a directory with cert.pem and key.pem, or an operator CA directory')
    .option('--key-file <pem>', 'the signer private key (with --signer-cert)')
    .option('--signer-cert <pem>', 'the signer certificate (with --key-file)')
    .option('--passphrase-file <file>', 'unlocks an encrypted key or a CA key (default: DIR/pki/passphrase.txt)')
    .option('--json', 'machine-readable output');
}

/** `show --json` prints the records themselves (an array, or the proposal object), as the gateway gives them. */
const printJson = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

/** Nodes with whether each is a validator of gov at the next height. */
async function nodesWithPower(client: GovClient): Promise<unknown[]> {
  const [nodes, validators] = await Promise.all([client.list('nodes'), client.list('validators')]);
  const voting = new Set((validators as { name: string; power: number }[]).filter((v) => v.power > 0).map((v) => v.name));
  return (nodes as NodeRecord[]).map((n) => ({ ...n, validator: voting.has(n.name) }));
}

async function show(what: string, id: string | undefined, flags: CommonFlags): Promise<void> {
  const out = makeOutput(Boolean(flags.json));
  if (what === 'proposal') {
    const match = PROPOSAL_ID.exec(id ?? '');
    if (!match) throw new CliUsageError(`bsn gov show proposal takes a proposal id (64 hex digits), got '${id ?? ''}'`);
    const proposal = await (await connectGov(flags)).proposal(match[2]!.toLowerCase());
    if (flags.json) return printJson(proposal);
    return out.result({}, [proposalLine(proposal), `args: ${JSON.stringify(proposal.args, (k, v: unknown) => (typeof v === 'string' && v.includes('-----BEGIN') ? `<${k}>` : v))}`, ...proposal.votes.map((v) => `  ${v.voter} voted ${v.yes ? 'yes' : 'no'} at height ${v.height}`)]);
  }
  if (!(SHOW_KINDS as readonly string[]).includes(what)) throw new CliUsageError(`bsn gov show takes ${[...SHOW_KINDS, 'proposal ID'].join(', ')}; got '${what}'`);
  if (id !== undefined) throw new CliUsageError(`bsn gov show ${what} takes no further argument ('${id}')`);
  const kind = what as ShowKind;
  const client = await connectGov(flags);
  const records = kind === 'nodes' ? await nodesWithPower(client) : await client.list(kind as GovList);
  if (flags.json) return printJson(records);
  out.result({}, showLines(kind, records));
}

/** Signs with the signer's next nonce and submits, waiting for the commit. */
async function submit(client: GovClient, signer: Signer, build: (nonce: number) => Uint8Array): Promise<{ tx: Uint8Array; hash: string; height: number; proposal?: ProposalRecord }> {
  const nonce = await client.nonce(signer.cert.fingerprint);
  const tx = build(nonce);
  const result = await client.submit(tx);
  return { tx, ...result };
}

function statusLines(proposal: ProposalRecord | undefined, fallback: string): string[] {
  return [proposal ? proposalLine(proposal) : fallback];
}

interface ProposeFlags extends CommonFlags, ActionFlags {}

async function propose(actionName: string, flags: ProposeFlags): Promise<void> {
  // Everything a flag can get wrong fails before any key is unlocked or gateway asked.
  const action = parseAction(actionName);
  const args = actionArgs(action, flags);
  const expiresAt = Date.now() + parseExpiry(flags.expires);
  const signer = await resolveSigner(flags);
  const client = await connectGov(flags);
  const r = await submit(client, signer, (nonce) => proposeTx(signer, nonce, action, args, expiresAt));
  const id = r.proposal?.id ?? proposalIdOf(r.tx);
  makeOutput(Boolean(flags.json)).result({ ok: true, id, hash: r.hash, height: r.height, status: r.proposal?.status ?? null, proposal: r.proposal ?? null }, statusLines(r.proposal, `proposal ${id} committed at height ${r.height}`));
}

async function vote(id: string, answer: string, flags: CommonFlags & { cert?: string }): Promise<void> {
  const match = PROPOSAL_ID.exec(id);
  if (!match) throw new CliUsageError(`the proposal id must be 64 hex digits, got '${id}'`);
  if (answer !== 'yes' && answer !== 'no') throw new CliUsageError(`vote yes or no, not '${answer}'`);
  const signer = await resolveSigner({ ...flags, ...(flags.signerCert === undefined && flags.cert !== undefined && { signerCert: flags.cert }) });
  const client = await connectGov(flags);
  const proposalId = match[2]!.toLowerCase();
  const r = await submit(client, signer, (nonce) => voteTx(signer, nonce, proposalId, answer === 'yes'));
  makeOutput(Boolean(flags.json)).result({ ok: true, id: proposalId, hash: r.hash, height: r.height, status: r.proposal?.status ?? null, proposal: r.proposal ?? null }, statusLines(r.proposal, `vote committed at height ${r.height}`));
}

export function registerGovCommands(program: Command): void {
  const gov = usageErrorsAsTyped(program.command('gov').description('the governance chain: the registry, proposals and votes'));

  withConnection(gov.command('show').description(`read the registry: ${SHOW_KINDS.join('|')}, or proposal ID`))
    .argument('<what>', `${SHOW_KINDS.join('|')}|proposal`)
    .argument('[id]', 'the proposal id, with `show proposal`')
    .action((what: string, id: string | undefined, flags: CommonFlags) => show(what, id, flags));

  withConnection(gov.command('propose').description('sign and submit a proposal; waits until it is committed'))
    .argument('<action>', 'admit-operator, add-node, register-org, revoke, set-plan, set-rule, suspend-…, remove-…')
    .option('--expires <duration>', 'how long votes are taken: 90s, 30m, 24h, 7d', '24h')
    .option('--cert <file>', 'the certificate the action concerns (operator CA, node, org, or the one to revoke)')
    .option('--name <name>', 'operator, node or org name')
    .option('--region <region>', 'a node region')
    .option('--city <city>', 'a node city')
    .option('--p2p <host:port>', "a node's p2p endpoint")
    .option('--gateway <url>', "a node's gateway URL")
    .option('--power <n>', "a node's validator power")
    .option('--roles <list>', 'org roles, comma-separated: developer,member,regulator')
    .option('--trust-code <code>', "an org's unified social credit code (GB 32100-2015)")
    .option('--contact <text>', "an org's contact")
    .option('--reason <reason>', 'revocation reason (keyCompromise, superseded, …)')
    .option('--plan-file <file>', 'the plan record (JSON) for set-plan')
    .option('--rule-file <file>', 'the rule record (JSON) for set-rule')
    .option('--args-file <file>', "the arguments (a JSON object) of an app action: create-app, invite-member, join-app, … (docs/governance.md, 'Apps')")
    .action((action: string, flags: ProposeFlags) => propose(action, flags));

  withConnection(gov.command('vote').description('vote yes or no on an open proposal; waits until it is committed'))
    .argument('<id>', 'the proposal id')
    .argument('<answer>', 'yes or no')
    .option('--cert <pem>', 'the signer certificate (with --key-file), as --signer-cert')
    .action((id: string, answer: string, flags: CommonFlags & { cert?: string }) => vote(id, answer, flags));
}
