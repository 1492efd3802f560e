import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BsnError } from '../errors.js';
import { GOV_CHAIN_ID } from '../execution/gov/types.js';
import { parseNodeConfig } from '../node/index.js';
import { nameValue, parseCertificatePem, parseCertificatesPem, parseCrlPem, readPrivateKeyPem, validateChain, type ParsedCertificate, type ParsedCrl } from '../pki/index.js';
import { DEV_CONSENSUS, genesisFile, loadLayout, LAYOUT_FILE } from './devnet.js';

/**
 * `bsn node init`: the config of a city node that joins an existing network. The node hosts
 * only `gov` (app chains come from governance), syncs it as a follower until governance adds it,
 * and depends on nothing of the network's directory but the CRL files it names: the root
 * certificate and the gov genesis are copied next to the config. docs/node.md, "Joining a network".
 */

/** A flag missing, contradicting another, or naming a file that cannot be read. */
export class NodeInitInputError extends BsnError {
  readonly code = 'NODE_INIT_INPUT';
}

/** The key is not the key of the certificate. */
export class NodeInitKeyMismatchError extends BsnError {
  readonly code = 'NODE_INIT_KEY_MISMATCH';
}

/** The certificate does not chain to the network's root through the given --chain (the cause says which check failed). */
export class NodeInitChainError extends BsnError {
  readonly code = 'NODE_INIT_CHAIN';
}

/** The certificate is not a node certificate (its BSN role is another, or it is a CA). */
export class NotANodeCertificateError extends BsnError {
  readonly code = 'NODE_INIT_NOT_NODE_CERT';
}

/** --name is not the certificate's CN, or the network already has a node of that name. */
export class NodeInitNameError extends BsnError {
  readonly code = 'NODE_INIT_NAME';
}

/** The gov genesis is missing, not a `gov` genesis, or of another root than the network's. */
export class NodeInitGenesisError extends BsnError {
  readonly code = 'NODE_INIT_GENESIS';
}

export interface NodeInitOptions {
  /** A `bsn up` directory: root, gov genesis, peers and CRLs come from it. */
  readonly network?: string;
  /** Instead of `network`: the root certificate, the gov genesis and bootstrap peers (host:port). */
  readonly root?: string;
  readonly govGenesis?: string;
  readonly peers?: readonly string[];
  /** More CRL files to name (with `root`, at least one is needed). */
  readonly crls?: readonly string[];
  readonly cert: string;
  readonly key: string;
  /** The operator CA certificate(s) between the node certificate and the root. */
  readonly chain: readonly string[];
  /** p2p on basePort, operations HTTP on +1, gateway on +2. */
  readonly basePort: number;
  /** The host the p2p and gateway listeners bind; 127.0.0.1 by default (operations HTTP stays on loopback). */
  readonly host?: string;
  readonly out: string;
  /** Must be the certificate's CN when given (peers know the node by it). */
  readonly name?: string;
  /** Replace an existing config (and its token, root and genesis copies). */
  readonly force?: boolean;
}

export interface NodeInitResult {
  readonly config: string;
  readonly name: string;
  readonly operator: string;
  readonly p2p: string;
  readonly http: string;
  readonly gateway: string;
  readonly peers: readonly string[];
  readonly crls: readonly string[];
  readonly files: readonly string[];
}

/** Files written next to the config. */
export const NODE_INIT_FILES = { root: 'root.pem', genesis: `${GOV_CHAIN_ID}.genesis.json`, token: 'ops-token.txt' } as const;

interface Sources {
  readonly rootPem: string;
  readonly genesisText: string;
  readonly peers: readonly { host: string; port: number; name?: string }[];
  readonly crlFiles: readonly string[];
  readonly takenNames: readonly string[];
  readonly takenPorts: readonly number[];
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new NodeInitInputError(`cannot read ${what} '${file}': ${(cause as Error).message}`, { cause });
  }
}

/** Parses a PEM input, turning a PKI parse error into a typed input error that names the file. */
function parsed<T>(file: string, what: string, parse: (text: string) => T, text = readText(file, what)): T {
  try {
    return parse(text);
  } catch (cause) {
    throw new NodeInitInputError(`${what} '${file}' is not valid: ${(cause as Error).message}`, { cause });
  }
}

function parsePeer(value: string): { host: string; port: number } {
  const match = /^([^\s:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new NodeInitInputError(`--peer '${value}': expected HOST:PORT, e.g. 10.0.0.5:27000`);
  return { host: match[1]!, port };
}

/** The root, gov genesis, peers and CRLs of a local network made by `bsn up`. */
function fromNetwork(dir: string): Sources {
  const layout = loadLayout(dir);
  if (!layout) throw new NodeInitInputError(`'${dir}' is not a BSN local network (no ${LAYOUT_FILE}); give --root, --gov-genesis and --peer instead`);
  const govFile = genesisFile(dir, layout.govChainId ?? GOV_CHAIN_ID);
  if (!existsSync(govFile)) throw new NodeInitGenesisError(`the network in '${dir}' has no governance chain (${path.basename(govFile)}): it was made before gov existed`);
  const pki = path.join(dir, 'pki');
  // Every CA of the network that has a CRL (root first); a CA without one is simply not named.
  if (!existsSync(pki)) throw new NodeInitInputError(`the network in '${dir}' has no pki/ directory`);
  const cas = ['root', ...readdirSync(pki).filter((n) => n !== 'root').sort()];
  const crlFiles = cas.map((ca) => path.join(pki, ca, 'crl.pem')).filter((f) => existsSync(f));
  return {
    rootPem: readText(path.join(pki, 'root', 'ca.pem'), 'root certificate'),
    genesisText: readText(govFile, 'gov genesis'),
    peers: layout.nodes.map((n) => ({ host: '127.0.0.1', port: n.p2pPort, name: n.name })),
    crlFiles,
    takenNames: layout.nodes.map((n) => n.name),
    takenPorts: layout.nodes.flatMap((n) => [n.p2pPort, n.httpPort, ...(n.gatewayPort !== undefined ? [n.gatewayPort] : [])]),
  };
}

function fromFlags(options: NodeInitOptions): Sources {
  if (options.root === undefined || options.govGenesis === undefined || (options.peers ?? []).length === 0) {
    throw new NodeInitInputError('give --network DIR, or all of --root FILE, --gov-genesis FILE and --peer HOST:PORT');
  }
  return {
    rootPem: readText(options.root, 'root certificate'),
    genesisText: readText(options.govGenesis, 'gov genesis'),
    peers: (options.peers ?? []).map(parsePeer),
    crlFiles: [],
    takenNames: [],
    takenPorts: [],
  };
}

function sources(options: NodeInitOptions): Sources {
  if (options.network !== undefined && (options.root !== undefined || options.govGenesis !== undefined || (options.peers ?? []).length > 0)) {
    throw new NodeInitInputError('give either --network or --root/--gov-genesis/--peer, not both');
  }
  return options.network !== undefined ? fromNetwork(options.network) : fromFlags(options);
}

/** The gov genesis must be a `gov` genesis of the same root: otherwise the node would never sync. */
function checkGenesis(text: string, root: ParsedCertificate): void {
  let genesis: { chainId?: unknown; app?: unknown; appState?: { rootCertPem?: unknown } };
  try {
    genesis = JSON.parse(text) as typeof genesis;
  } catch (cause) {
    throw new NodeInitGenesisError(`the gov genesis is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (genesis?.chainId !== GOV_CHAIN_ID || genesis.app !== 'gov') throw new NodeInitGenesisError(`the gov genesis is not the governance chain's (chainId '${String(genesis?.chainId)}', app '${String(genesis?.app)}')`);
  const rootPem = genesis.appState?.rootCertPem;
  let fingerprint: string | undefined;
  try {
    fingerprint = typeof rootPem === 'string' ? parseCertificatePem(rootPem).fingerprint : undefined;
  } catch {
    fingerprint = undefined;
  }
  if (fingerprint !== root.fingerprint) throw new NodeInitGenesisError(`the gov genesis names another root than the network's (${root.fingerprint.slice(0, 23)}…)`);
}

/** The checks on the node's own files: key of the cert, chain to the root, a node certificate. */
function checkIdentity(options: NodeInitOptions, root: ParsedCertificate, crls: readonly ParsedCrl[]): ParsedCertificate {
  const leaf = parsed(options.cert, 'node certificate', parseCertificatePem);
  const key = parsed(options.key, 'node key', (text) => {
    if (text.includes('ENCRYPTED PRIVATE KEY')) throw new Error('it is encrypted; a node reads a plain PKCS#8 key (keep it 0600)');
    return readPrivateKeyPem(text);
  });
  if (key.suite !== leaf.publicKey.suite || !Buffer.from(key.publicKey.bytes).equals(leaf.publicKey.bytes)) {
    throw new NodeInitKeyMismatchError(`the key '${options.key}' is not the key of the certificate '${options.cert}'`);
  }
  const intermediates = options.chain.flatMap((file) => parsed(file, '--chain certificate', parseCertificatesPem));
  // Only CRLs still in force: an expired one would fail the check for a reason not the certificate's.
  const current = crls.filter((c) => c.nextUpdate === undefined || c.nextUpdate > new Date());
  const validate = (purpose: 'any' | 'server' | 'client') => {
    try {
      return validateChain({ roots: [root], intermediates, leaf, crls: current, purpose });
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      throw new NodeInitChainError(`'${options.cert}' does not chain to the network's root through --chain: ${(cause as Error).message}${code ? ` [${code}]` : ''}`, { cause });
    }
  };
  const { identity } = validate('any');
  if (leaf.extensions.basicConstraints?.ca || identity?.role !== 'node') {
    throw new NotANodeCertificateError(`'${options.cert}' is not a node certificate (its role is ${identity?.role ?? 'none'}); issue one with bsn ca issue --kind node`);
  }
  // Both TLS purposes: a node accepts connections and makes them.
  validate('server');
  validate('client');
  return leaf;
}

/** Checks every input, then writes the config, its token and the copies of the root and genesis. */
export function initJoiningNode(options: NodeInitOptions): NodeInitResult {
  if (!Number.isInteger(options.basePort) || options.basePort < 1 || options.basePort > 65533) throw new NodeInitInputError(`--base-port ${options.basePort}: needs three ports, base to base+2, within 1..65535`);
  if (options.chain.length === 0) throw new NodeInitInputError('give --chain: the operator CA certificate that issued the node certificate');
  const src = sources(options);
  const root = parsed(options.root ?? path.join(options.network ?? '', 'pki', 'root', 'ca.pem'), 'root certificate', parseCertificatePem, src.rootPem);
  checkGenesis(src.genesisText, root);
  const crlFiles = [...src.crlFiles, ...(options.crls ?? [])];
  if (crlFiles.length === 0) throw new NodeInitInputError("give --crl: a node names at least one CRL of the network's CAs (the root's)");
  const crls = crlFiles.map((f) => parsed(f, 'CRL', parseCrlPem));
  const leaf = checkIdentity(options, root, crls);
  const name = nameValue(leaf.subject, 'CN') ?? '';
  if (options.name !== undefined && options.name !== name) throw new NodeInitNameError(`--name '${options.name}' is not the certificate's CN '${name}': peers know a node by its certificate`);
  if (src.takenNames.includes(name)) throw new NodeInitNameError(`the network already has a node '${name}'`);
  const ports = [options.basePort, options.basePort + 1, options.basePort + 2];
  const taken = ports.find((p) => src.takenPorts.includes(p));
  if (taken !== undefined) throw new NodeInitInputError(`port ${taken} is used by a node of the network; choose another --base-port`);
  const out = path.resolve(options.out);
  if (existsSync(out) && !options.force) throw new NodeInitInputError(`'${options.out}' exists (use --force to replace it)`);
  const dir = path.dirname(out);
  const rel = (file: string) => path.relative(dir, path.resolve(file)) || '.';
  const host = options.host ?? '127.0.0.1';
  const p2p = `${host}:${ports[0]}`;
  const http = `127.0.0.1:${ports[1]}`;
  const gateway = `${host}:${ports[2]}`;
  const config = {
    name,
    dataDir: 'data',
    network: { rootCert: NODE_INIT_FILES.root, crls: crlFiles.map(rel) },
    tls: { cert: rel(options.cert), chain: options.chain.map(rel), key: rel(options.key) },
    p2p: { listen: p2p, peers: src.peers },
    http: { listen: http, tokenFile: NODE_INIT_FILES.token },
    gateway: { listen: gateway },
    // Only gov: the app chains a node hosts are placed on it by governance.
    chains: [{ genesis: NODE_INIT_FILES.genesis }],
    // A local network's timeouts; elsewhere the defaults (docs/node.md), to match by hand.
    ...(options.network !== undefined && { consensus: DEV_CONSENSUS }),
    log: { level: 'info' },
  };
  const text = `${JSON.stringify(config, null, 2)}\n`;
  // What is written must load: the loader is the judge, before any file exists.
  parseNodeConfig(text, dir);
  // 0700: the node's token and chain data are its operator's alone.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, NODE_INIT_FILES.root), src.rootPem);
  writeFileSync(path.join(dir, NODE_INIT_FILES.genesis), src.genesisText);
  writeFileSync(path.join(dir, NODE_INIT_FILES.token), `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(path.join(dir, NODE_INIT_FILES.token), 0o600);
  writeFileSync(out, text);
  return {
    config: out,
    name,
    operator: leaf.issuerText,
    p2p,
    http: `http://${http}`,
    gateway: `http://${gateway}`,
    peers: src.peers.map((p) => `${p.host}:${p.port}`),
    crls: config.network.crls,
    files: [out, ...Object.values(NODE_INIT_FILES).map((f) => path.join(dir, f))],
  };
}
