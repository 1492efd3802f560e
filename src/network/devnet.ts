import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HDNodeWallet, parseEther } from 'ethers';
import { generateCrl, initOperator, initRoot, issueLeaf, readPrivateKeyPem, signOperatorCsr } from '../pki/index.js';
import { BsnError } from '../errors.js';
import { GOV_CHAIN_ID } from '../execution/gov/types.js';
import { DEVNET_IDENTITIES, devnetGovGenesis, issueDevnetIdentities } from './gov-genesis.js';

/**
 * A complete local network in one directory, as `bsn up` makes it: a root CA, two operators,
 * four city nodes (two per operator) as four processes, the governance chain `gov` (the registry;
 * identities/ holds the certificates of the authority and the operators that act on it), and two
 * app chains on all four: `demo`, the EVM chain (Ethereum JSON-RPC on each node's gateway,
 * development accounts funded), and `kv` (signed key-value records).
 * It is a development network: the CA passphrase is generated and kept in the directory.
 */
export interface DevnetNode {
  readonly name: string;
  readonly operator: string;
  readonly p2pPort: number;
  readonly httpPort: number;
  /** The gateway (Ethereum JSON-RPC); absent in layouts made before it existed. */
  readonly gatewayPort?: number;
  readonly config: string;
  readonly log: string;
}

export interface DevnetLayout {
  readonly version: 1;
  readonly dir: string;
  /** The kv app chain (`kv`; `demo` in layouts made before the EVM chain took that name). */
  readonly chainId: string;
  /**
   * The EVM app chain (`demo`; `evm` in older layouts), served at <gateway>/apps/<evmChainId>/rpc;
   * absent in layouts made before it existed. Not the Ethereum chain id (DEV_EVM_CHAIN_ID).
   */
  readonly evmChainId?: string;
  readonly rootFingerprint: string;
  readonly nodes: DevnetNode[];
  /** The gateways serve HTTPS with a certificate of their node's operator CA (`bsn up --gateway-tls`). */
  readonly gatewayTls?: boolean;
  /** The governance chain (`gov`); absent in layouts made before it existed. */
  readonly govChainId?: string;
  /** The identities under `<dir>/identities/` (`authority`, `op1`, `op2`); absent in older layouts. */
  readonly identities?: readonly string[];
}

export class DevnetError extends BsnError {
  readonly code = 'DEVNET';
}

export type Progress = (step: string) => void;

/** Hardhat's and Foundry's development mnemonic: its accounts are well known, never use them for value. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** The app chain names of a new local network: `demo` runs the EVM, `kv` signed key-value records. */
export const DEV_EVM_CHAIN = 'demo';
export const DEV_KV_CHAIN = 'kv';
/** The Ethereum chain id of the `demo` chain (eth_chainId). */
export const DEV_EVM_CHAIN_ID = 4242;
const DEV_ACCOUNTS = 10;

/** The development accounts funded on the EVM chain (m/44'/60'/0'/0/i of DEV_MNEMONIC). */
export function devAccounts(): { address: string; privateKey: string }[] {
  const root = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: DEV_ACCOUNTS }, (_, i) => {
    const w = root.deriveChild(i);
    return { address: w.address, privateKey: w.privateKey };
  });
}

/** The consensus timeouts of a local network's nodes (and of nodes `bsn node init` adds to it). */
export const DEV_CONSENSUS = { timeoutProposeMs: 1000, timeoutPrevoteMs: 500, timeoutPrecommitMs: 500, timeoutDeltaMs: 250, emptyBlocksIntervalMs: 0 } as const;

/** The layout file of a local network, `<dir>/devnet.json`. */
export const LAYOUT_FILE = 'devnet.json';
const PIDS = 'pids.json';
/** The operations token every node of the network shares (`Authorization: Bearer` on `/chains/*`). */
export const OPS_TOKEN_FILE = 'ops-token.txt';

/** The network's operations token; undefined for a network made before it had one. */
export function readOpsToken(dir: string): string | undefined {
  const file = path.join(dir, OPS_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** `<dir>/<chain>.genesis.json`: one genesis file per chain (gov and the app chains), named after it. */
export function genesisFile(dir: string, chainId: string): string {
  return path.join(dir, `${chainId}.genesis.json`);
}

export function loadLayout(dir: string): DevnetLayout | undefined {
  const file = path.join(dir, LAYOUT_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DevnetLayout) : undefined;
}

/** Makes the network's files (idempotent: an existing layout is returned as it is). */
export async function initDevnet(dir: string, basePort: number, progress: Progress, options: { readonly gatewayTls?: boolean } = {}): Promise<DevnetLayout> {
  const existing = loadLayout(dir);
  if (existing) return existing;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new DevnetError(`'${dir}' exists and is not a BSN local network; choose another --dir`);
  }
  const pki = path.join(dir, 'pki');
  // 0700: the network's keys, secrets and chain data are for its owner only, whatever the umask.
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, OPS_TOKEN_FILE), `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const passFile = path.join(pki, 'passphrase.txt');
  const passphrase = randomBytes(18).toString('base64url');
  writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
  const secret = { passphrase };

  progress('root ceremony: root CA');
  const root = await initRoot({ dir: path.join(pki, 'root'), name: 'BSN Local Root CA', suite: 'ecdsa-p256', passphrase });
  const operators = ['op1', 'op2'];
  for (const [i, op] of operators.entries()) {
    progress(`operator CA ${op}`);
    const { csrPem } = initOperator({ dir: path.join(pki, op), name: `Local Operator ${i + 1}`, suite: 'ecdsa-p256', passphrase });
    await signOperatorCsr({ caDir: path.join(pki, 'root'), csrPem, out: path.join(pki, op, 'ca.pem'), secret });
  }
  const nodes: DevnetNode[] = [];
  const validators: { name: string; publicKey: string; power: number }[] = [];
  for (let i = 0; i < 4; i++) {
    const name = `node${i + 1}`;
    const operator = operators[i >> 1]!;
    progress(`city node certificate ${name} (${operator})`);
    mkdirSync(path.join(dir, name), { mode: 0o700 });
    await issueLeaf({ caDir: path.join(pki, operator), out: path.join(dir, name, 'tls'), kind: 'node', name, sans: ['127.0.0.1', 'localhost'], secret });
    // The gateway's own TLS certificate, from the same operator CA (docs/gateway.md, "TLS").
    if (options.gatewayTls) await issueLeaf({ caDir: path.join(pki, operator), out: path.join(dir, name, 'gateway-tls'), kind: 'node', name: `${name}-gateway`, sans: ['127.0.0.1', 'localhost'], secret });
    const key = readPrivateKeyPem(readFileSync(path.join(dir, name, 'tls', 'key.pem'), 'utf8'));
    validators.push({ name, publicKey: Buffer.from(key.publicKey.bytes).toString('hex'), power: 1 });
    nodes.push({ name, operator, p2pPort: basePort + i * 10, httpPort: basePort + i * 10 + 1, gatewayPort: basePort + i * 10 + 2, config: path.join(dir, name, 'node.json'), log: path.join(dir, name, 'node.log') });
  }
  progress('certificate revocation lists');
  for (const ca of ['root', ...operators]) await generateCrl({ caDir: path.join(pki, ca), out: path.join(pki, ca, 'crl.pem'), secret, days: 365 });
  await issueDevnetIdentities(dir, secret, progress);
  progress(`genesis of the governance chain '${GOV_CHAIN_ID}' (root, operators, nodes, authority, plans)`);
  const govGenesis = devnetGovGenesis(dir, nodes, validators, { gatewayTls: options.gatewayTls === true, time: Date.now() });
  writeFileSync(genesisFile(dir, GOV_CHAIN_ID), `${JSON.stringify(govGenesis, null, 2)}\n`);

  progress(`genesis of the EVM chain '${DEV_EVM_CHAIN}' (${DEV_ACCOUNTS} funded development accounts)`);
  const alloc = Object.fromEntries(devAccounts().map((a) => [a.address, { balance: parseEther('10000').toString() }]));
  const evmGenesis = { chainId: DEV_EVM_CHAIN, suite: 'ecdsa-p256', app: 'evm', time: Date.now(), validators, appState: { chainId: DEV_EVM_CHAIN_ID, alloc } };
  writeFileSync(genesisFile(dir, DEV_EVM_CHAIN), `${JSON.stringify(evmGenesis, null, 2)}\n`);
  progress(`genesis of the kv chain '${DEV_KV_CHAIN}'`);
  writeFileSync(genesisFile(dir, DEV_KV_CHAIN), `${JSON.stringify({ chainId: DEV_KV_CHAIN, suite: 'ecdsa-p256', app: 'kv', time: Date.now(), validators }, null, 2)}\n`);
  for (const node of nodes) writeNodeConfig(dir, node, nodes, operators, options.gatewayTls === true);
  const layout: DevnetLayout = { version: 1, dir: path.resolve(dir), chainId: DEV_KV_CHAIN, evmChainId: DEV_EVM_CHAIN, rootFingerprint: root.fingerprint, nodes, ...(options.gatewayTls && { gatewayTls: true }), govChainId: GOV_CHAIN_ID, identities: [...DEVNET_IDENTITIES] };
  writeFileSync(path.join(dir, LAYOUT_FILE), `${JSON.stringify(layout, null, 2)}\n`);
  return layout;
}

/**
 * Signs fresh CRLs of every CA of the network (it holds their keys), for `bsn up` on an existing
 * network: a CRL past its nextUpdate makes TLS refuse every peer (H6). Nodes already running
 * pick the new files up by their CRL reload.
 */
export async function renewDevnetCrls(layout: DevnetLayout, days = 365): Promise<void> {
  const pki = path.join(layout.dir, 'pki');
  const secret = { passphrase: readFileSync(path.join(pki, 'passphrase.txt'), 'utf8').trim() };
  for (const ca of ['root', ...new Set(layout.nodes.map((n) => n.operator))]) await generateCrl({ caDir: path.join(pki, ca), out: path.join(pki, ca, 'crl.pem'), secret, days });
}

function writeNodeConfig(dir: string, node: DevnetNode, all: DevnetNode[], operators: string[], gatewayTls: boolean): void {
  const rel = (p: string) => path.relative(path.join(dir, node.name), p);
  const pki = path.join(dir, 'pki');
  // Hosted user keys are sealed under this node's own secret (docs/gateway-users.md); user
  // certificates come from the node's operator CA, whose passphrase a dev network keeps on disk.
  writeFileSync(path.join(dir, node.name, 'vault-secret.txt'), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  const users = { caDir: rel(path.join(pki, node.operator)), caPassphraseFile: rel(path.join(pki, 'passphrase.txt')), vaultSecretFile: 'vault-secret.txt' };
  const config = {
    name: node.name,
    dataDir: 'data',
    network: { rootCert: rel(path.join(pki, 'root', 'ca.pem')), crls: ['root', ...operators].map((ca) => rel(path.join(pki, ca, 'crl.pem'))) },
    tls: { cert: 'tls/cert.pem', chain: [rel(path.join(pki, node.operator, 'ca.pem'))], key: 'tls/key.pem' },
    p2p: { listen: `127.0.0.1:${node.p2pPort}`, peers: all.filter((n) => n !== node).map((n) => ({ host: '127.0.0.1', port: n.p2pPort, name: n.name })) },
    http: { listen: `127.0.0.1:${node.httpPort}`, tokenFile: rel(path.join(dir, OPS_TOKEN_FILE)) },
    // Users of every operator are trusted (operatorCas), and the gateway may serve TLS.
    ...(node.gatewayPort ? { gateway: { listen: `127.0.0.1:${node.gatewayPort}`, users, operatorCas: operators.map((op) => rel(path.join(pki, op, 'ca.pem'))), ...(gatewayTls && { tls: { cert: 'gateway-tls/cert.pem', key: 'gateway-tls/key.pem' } }) } } : {}),
    // gov first: the registry the node obeys is there before the app chains start.
    chains: [GOV_CHAIN_ID, DEV_EVM_CHAIN, DEV_KV_CHAIN].map((chain) => ({ genesis: rel(genesisFile(dir, chain)) })),
    consensus: DEV_CONSENSUS,
    log: { level: 'info' },
  };
  writeFileSync(node.config, `${JSON.stringify(config, null, 2)}\n`);
}

/** The node's config file, absolute (layouts store it as given to `bsn up`, maybe relative). */
function configPath(layout: DevnetLayout, node: DevnetNode): string {
  return path.join(layout.dir, node.name, path.basename(node.config));
}

/** Starts every node that is not running as its own detached process; returns their pids. */
export function startDevnet(layout: DevnetLayout, command: { node: string; args: string[] }): Record<string, number> {
  const pids: Record<string, number> = readPids(layout.dir);
  for (const node of layout.nodes) {
    const config = configPath(layout, node);
    if (pids[node.name] && isNodeProcess(pids[node.name]!, config)) continue;
    const out = openSync(path.join(layout.dir, node.name, path.basename(node.log)), 'a');
    const child = spawn(command.node, [...command.args, 'node', 'start', '--config', config], { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    pids[node.name] = child.pid!;
  }
  writeFileSync(path.join(layout.dir, PIDS), `${JSON.stringify(pids)}\n`);
  return pids;
}

export function readPids(dir: string): Record<string, number> {
  const file = path.join(dir, PIDS);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
}

/**
 * Whether `pid` is a live process: not gone, and not a zombie. A killed node whose parent (here
 * PID 1, since `bsn up` has exited) has not reaped it yet still answers `kill(pid, 0)`; on Linux
 * /proc tells the zombie (state Z) apart. Elsewhere `kill(pid, 0)` is all there is.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = procState(pid);
  return state === undefined ? !existsSync('/proc/self/stat') : state !== 'Z' && state !== 'X';
}

/** The state letter of /proc/<pid>/stat (after the `(comm)` field, which may hold spaces). */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is this network's node with config `config`: alive (isAlive) and, where /proc
 * shows command lines, running `node start --config <config>`. A pid file outlives its
 * processes (a reboot, a kill): its pids may since belong to unrelated processes, which `bsn up`
 * must not take for a running node and `bsn down` must never signal.
 */
export function isNodeProcess(pid: number, config: string): boolean {
  if (!isAlive(pid)) return false;
  let argv: string[];
  let cwd: string;
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // No /proc (macOS): the pid answering is the best evidence there is. With /proc, a process
    // we may not inspect belongs to someone else: not ours.
    return !existsSync('/proc/self/cmdline');
  }
  const at = argv.indexOf('--config');
  return at > 1 && argv[at - 2] === 'node' && argv[at - 1] === 'start' && argv[at + 1] !== undefined && path.resolve(cwd, argv[at + 1]!) === path.resolve(config);
}

/** Sends SIGTERM to every running node and waits (bounded) for each to exit. */
export async function stopDevnet(dir: string, timeoutMs = 15_000): Promise<string[]> {
  const layout = loadLayout(dir);
  const pids = readPids(dir);
  const stopped: string[] = [];
  const running = new Map<string, number>();
  for (const [name, pid] of Object.entries(pids)) {
    const node = layout?.nodes.find((n) => n.name === name);
    if (!layout || !node || !isNodeProcess(pid, configPath(layout, node))) continue;
    running.set(name, pid);
    process.kill(pid, 'SIGTERM');
    stopped.push(name);
  }
  const until = Date.now() + timeoutMs;
  while ([...running.values()].some(isAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const pid of running.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(path.join(dir, PIDS), { force: true });
  return stopped;
}

export interface NodeHealth {
  readonly name: string;
  readonly http: string;
  /** The gateway's base URL (JSON-RPC at <gateway>/apps/<chain>/rpc), when the node has one. */
  readonly gateway?: string;
  /** Whether the gateway serves HTTPS. */
  readonly gatewayTls?: boolean;
  readonly status?: { name?: string; peers: string[]; chains: { chainId: string; height: number; round: number; mempool: number }[] };
  /** Why the node is not up: its operations endpoint, or its gateway, does not answer as this node. */
  readonly error?: string;
}

export async function devnetStatus(layout: DevnetLayout): Promise<NodeHealth[]> {
  return Promise.all(
    layout.nodes.map(async (n) => {
      const http = `http://127.0.0.1:${n.httpPort}`;
      const gateway = gatewayUrl(layout, n);
      const tlsMark = gateway ? { gatewayTls: layout.gatewayTls === true } : {};
      try {
        const res = await fetch(`${http}/status`, { signal: AbortSignal.timeout(2000) });
        const status = (await res.json()) as NodeHealth['status'];
        // Another process may hold the port: only this node's own answer counts.
        if (status?.name !== undefined && status.name !== n.name) return { name: n.name, http, gateway, error: `${http} answers as '${status.name}'` };
        if (gateway) {
          try {
            // Any HTTP answer will do: the gateway listens only once the node is up.
            await probeGateway(gateway, layout);
          } catch (err) {
            return { name: n.name, http, gateway, ...tlsMark, status, error: `gateway ${gateway}: ${(err as Error).message}` };
          }
        }
        return { name: n.name, http, gateway, ...tlsMark, status };
      } catch (err) {
        return { name: n.name, http, gateway, ...tlsMark, error: (err as Error).message };
      }
    }),
  );
}

/** A node's gateway base URL: https when the network's gateways serve TLS. */
export function gatewayUrl(layout: DevnetLayout, node: DevnetNode): string | undefined {
  return node.gatewayPort ? `${layout.gatewayTls ? 'https' : 'http'}://127.0.0.1:${node.gatewayPort}` : undefined;
}

/** Any HTTP answer from the gateway; over TLS, its certificate must chain to the network root. */
function probeGateway(url: string, layout: DevnetLayout): Promise<void> {
  if (!layout.gatewayTls) return fetch(`${url}/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.arrayBuffer()).then(() => undefined);
  const ca = readFileSync(path.join(layout.dir, 'pki', 'root', 'ca.pem'), 'utf8');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('timeout', () => req.destroy(new Error('no answer after 2000 ms')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until every node answers /status and its gateway, and sees its three peers. */
export async function waitReady(layout: DevnetLayout, timeoutMs: number, pids?: Record<string, number>): Promise<void> {
  const until = Date.now() + timeoutMs;
  const ready = (h: NodeHealth) => h.error === undefined && h.status !== undefined && h.status.peers.length === layout.nodes.length - 1;
  for (;;) {
    const health = await devnetStatus(layout);
    if (health.every(ready)) return;
    // A node that exited (a port taken, a bad file) will not come up: say so now, with its reason.
    const exited = layout.nodes.filter((n) => pids?.[n.name] !== undefined && !isAlive(pids[n.name]!));
    if (exited.length > 0) throw new DevnetError(`${exited.map((n) => `${n.name} exited (${lastLogError(layout, n)})`).join('; ')}; see the node.log files`);
    if (Date.now() > until) {
      const bad = health.filter((h) => !ready(h)).map((h) => `${h.name}: ${h.error ?? `${h.status?.peers.length} peers`}`);
      throw new DevnetError(`the network did not come up within ${timeoutMs} ms (${bad.join('; ')}); see the node.log files`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last error a node logged (its `msg` and `err`), to say why it exited. */
function lastLogError(layout: DevnetLayout, node: DevnetNode): string {
  let lines: string[];
  try {
    lines = readFileSync(path.join(layout.dir, node.name, path.basename(node.log)), 'utf8').trim().split('\n');
  } catch {
    return 'no log';
  }
  for (const line of lines.reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: string };
      if ((entry.level ?? 0) >= 50) return [entry.msg, entry.err].filter(Boolean).join(': ');
    } catch {
      // A line that is not pino's (the CLI's own `bsn: error: …`) is the reason itself.
      if (line.startsWith('bsn: error: ')) return line.slice('bsn: error: '.length);
    }
  }
  return 'no error logged';
}
