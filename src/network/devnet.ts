import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HDNodeWallet, parseEther } from 'ethers';
import { generateCrl, initOperator, initRoot, issueLeaf, readPrivateKeyPem, signOperatorCsr } from '../pki/index.js';
import { BsnError } from '../errors.js';

/**
 * A complete local network in one directory, as `bsn up` makes it: a root CA, two operators,
 * four city nodes (two per operator) as four processes, and two app chains on all four: `demo`,
 * the EVM chain (Ethereum JSON-RPC on each node's gateway, development accounts funded), and `kv`
 * (signed key-value records).
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

const LAYOUT = 'devnet.json';
const PIDS = 'pids.json';

/** `<dir>/<chain>.genesis.json`: one genesis file per app chain, named after it. */
export function genesisFile(dir: string, chainId: string): string {
  return path.join(dir, `${chainId}.genesis.json`);
}

export function loadLayout(dir: string): DevnetLayout | undefined {
  const file = path.join(dir, LAYOUT);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DevnetLayout) : undefined;
}

/** Makes the network's files (idempotent: an existing layout is returned as it is). */
export async function initDevnet(dir: string, basePort: number, progress: Progress): Promise<DevnetLayout> {
  const existing = loadLayout(dir);
  if (existing) return existing;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new DevnetError(`'${dir}' exists and is not a BSN local network; choose another --dir`);
  }
  const pki = path.join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
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
    await issueLeaf({ caDir: path.join(pki, operator), out: path.join(dir, name, 'tls'), kind: 'node', name, sans: ['127.0.0.1', 'localhost'], secret });
    const key = readPrivateKeyPem(readFileSync(path.join(dir, name, 'tls', 'key.pem'), 'utf8'));
    validators.push({ name, publicKey: Buffer.from(key.publicKey.bytes).toString('hex'), power: 1 });
    nodes.push({ name, operator, p2pPort: basePort + i * 10, httpPort: basePort + i * 10 + 1, gatewayPort: basePort + i * 10 + 2, config: path.join(dir, name, 'node.json'), log: path.join(dir, name, 'node.log') });
  }
  progress('certificate revocation lists');
  for (const ca of ['root', ...operators]) await generateCrl({ caDir: path.join(pki, ca), out: path.join(pki, ca, 'crl.pem'), secret, days: 365 });

  progress(`genesis of the EVM chain '${DEV_EVM_CHAIN}' (${DEV_ACCOUNTS} funded development accounts)`);
  const alloc = Object.fromEntries(devAccounts().map((a) => [a.address, { balance: parseEther('10000').toString() }]));
  const evmGenesis = { chainId: DEV_EVM_CHAIN, suite: 'ecdsa-p256', app: 'evm', time: Date.now(), validators, appState: { chainId: DEV_EVM_CHAIN_ID, alloc } };
  writeFileSync(genesisFile(dir, DEV_EVM_CHAIN), `${JSON.stringify(evmGenesis, null, 2)}\n`);
  progress(`genesis of the kv chain '${DEV_KV_CHAIN}'`);
  writeFileSync(genesisFile(dir, DEV_KV_CHAIN), `${JSON.stringify({ chainId: DEV_KV_CHAIN, suite: 'ecdsa-p256', app: 'kv', time: Date.now(), validators }, null, 2)}\n`);
  for (const node of nodes) writeNodeConfig(dir, node, nodes, operators);
  const layout: DevnetLayout = { version: 1, dir: path.resolve(dir), chainId: DEV_KV_CHAIN, evmChainId: DEV_EVM_CHAIN, rootFingerprint: root.fingerprint, nodes };
  writeFileSync(path.join(dir, LAYOUT), `${JSON.stringify(layout, null, 2)}\n`);
  return layout;
}

function writeNodeConfig(dir: string, node: DevnetNode, all: DevnetNode[], operators: string[]): void {
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
    http: { listen: `127.0.0.1:${node.httpPort}` },
    ...(node.gatewayPort ? { gateway: { listen: `127.0.0.1:${node.gatewayPort}`, users } } : {}),
    chains: [DEV_EVM_CHAIN, DEV_KV_CHAIN].map((chain) => ({ genesis: rel(genesisFile(dir, chain)) })),
    consensus: { timeoutProposeMs: 1000, timeoutPrevoteMs: 500, timeoutPrecommitMs: 500, timeoutDeltaMs: 250, emptyBlocksIntervalMs: 0 },
    log: { level: 'info' },
  };
  writeFileSync(node.config, `${JSON.stringify(config, null, 2)}\n`);
}

/** Starts every node as its own detached process; returns their pids. */
export function startDevnet(layout: DevnetLayout, command: { node: string; args: string[] }): Record<string, number> {
  const pids: Record<string, number> = readPids(layout.dir);
  for (const node of layout.nodes) {
    if (pids[node.name] && isAlive(pids[node.name]!)) continue;
    const out = openSync(node.log, 'a');
    const child = spawn(command.node, [...command.args, 'node', 'start', '--config', node.config], { detached: true, stdio: ['ignore', out, out] });
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM to every node and waits (bounded) for each to exit. */
export async function stopDevnet(dir: string, timeoutMs = 15_000): Promise<string[]> {
  const pids = readPids(dir);
  const stopped: string[] = [];
  for (const [name, pid] of Object.entries(pids)) {
    if (!isAlive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    stopped.push(name);
  }
  const until = Date.now() + timeoutMs;
  while (Object.values(pids).some(isAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const pid of Object.values(pids)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(path.join(dir, PIDS), { force: true });
  return stopped;
}

export interface NodeHealth {
  readonly name: string;
  readonly http: string;
  /** The gateway's base URL (JSON-RPC at <gateway>/apps/<chain>/rpc), when the node has one. */
  readonly gateway?: string;
  readonly status?: { peers: string[]; chains: { chainId: string; height: number; round: number; mempool: number }[] };
  readonly error?: string;
}

export async function devnetStatus(layout: DevnetLayout): Promise<NodeHealth[]> {
  return Promise.all(
    layout.nodes.map(async (n) => {
      const http = `http://127.0.0.1:${n.httpPort}`;
      const gateway = n.gatewayPort ? `http://127.0.0.1:${n.gatewayPort}` : undefined;
      try {
        const res = await fetch(`${http}/status`, { signal: AbortSignal.timeout(2000) });
        return { name: n.name, http, gateway, status: (await res.json()) as NodeHealth['status'] };
      } catch (err) {
        return { name: n.name, http, gateway, error: (err as Error).message };
      }
    }),
  );
}

/** Waits until every node answers /health and sees its three peers. */
export async function waitReady(layout: DevnetLayout, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const health = await devnetStatus(layout);
    if (health.every((h) => h.status && h.status.peers.length === layout.nodes.length - 1)) return;
    if (Date.now() > until) {
      const bad = health.filter((h) => !h.status || h.status.peers.length < layout.nodes.length - 1).map((h) => `${h.name}: ${h.error ?? `${h.status?.peers.length} peers`}`);
      throw new DevnetError(`the network did not come up within ${timeoutMs} ms (${bad.join('; ')}); see the node.log files`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
