import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GOV_CHAIN_ID, type GovGenesisState, type PlanRecord } from '../execution/gov/types.js';
import { issueLeaf, type CaSecret } from '../pki/index.js';

/**
 * The governance chain `gov` of a `bsn up` network: the identities that act on it (the network
 * authority and the two operators, each an org certificate with its key under
 * `<dir>/identities/<name>/`) and its genesis file, whose appState is the registry at height 0.
 * devnet.ts calls these; they only read and write files.
 */

/**
 * The identities `bsn up` issues, in order; `bsn gov … --as NAME` and `bsn app … --as NAME` use
 * them. `dev` is a developer org registered at genesis, so that a new user can publish an app.
 */
export const DEVNET_IDENTITIES = ['authority', 'op1', 'op2', 'dev'] as const;
export type DevnetIdentity = (typeof DEVNET_IDENTITIES)[number];

/** Which operator CA certifies each identity: the authority is certified by op1, the first operator. */
const ISSUER: Readonly<Record<DevnetIdentity, string>> = { authority: 'op1', op1: 'op1', op2: 'op2', dev: 'op1' };
const ORG_NAME: Readonly<Record<DevnetIdentity, string>> = { authority: 'BSN Local Network Authority', op1: 'Local Operator 1', op2: 'Local Operator 2', dev: 'Local Developer' };
/** The development org's unified social credit code (GB 32100-2015, check character valid). */
export const DEV_ORG_TRUST_CODE = '91350100M000100Y43';

/** The default plans of a local network: prices per city node per month, in fen (CNY minor units). */
export const DEV_PLANS: readonly PlanRecord[] = [
  { name: 'basic', requestsPerSecond: 50, txPerDay: 100_000, storageMiB: 1024, pricePerNodeMonth: 9_900, currency: 'CNY' },
  { name: 'standard', requestsPerSecond: 200, txPerDay: 1_000_000, storageMiB: 10_240, pricePerNodeMonth: 49_900, currency: 'CNY' },
];

/** `<dir>/identities/<name>`: cert.pem and key.pem of one identity. */
export function identityDir(dir: string, name: string): string {
  return path.join(dir, 'identities', name);
}

/** Issues the org certificates of the authority and the operators (keys 0600, directories 0700). */
export async function issueDevnetIdentities(dir: string, secret: CaSecret, progress: (step: string) => void): Promise<void> {
  mkdirSync(path.join(dir, 'identities'), { mode: 0o700 });
  for (const name of DEVNET_IDENTITIES) {
    progress(`identity ${name} (org certificate of ${ISSUER[name]})`);
    await issueLeaf({ caDir: path.join(dir, 'pki', ISSUER[name]), out: identityDir(dir, name), kind: 'org', name, org: ORG_NAME[name], secret });
  }
}

/** A city node of the local network as the gov genesis needs it (a DevnetNode has these fields). */
export interface GovGenesisNode {
  readonly name: string;
  readonly operator: string;
  readonly p2pPort: number;
  readonly gatewayPort?: number;
}

/** Regions of the local network: the first operator's nodes in Beijing, the second's in Shanghai. */
export function devnetRegion(index: number): { region: string; city: string } {
  return index < 2 ? { region: 'Beijing', city: 'Beijing' } : { region: 'Shanghai', city: 'Shanghai' };
}

export interface GovGenesisFile {
  readonly chainId: typeof GOV_CHAIN_ID;
  readonly suite: 'ecdsa-p256';
  readonly app: 'gov';
  readonly time: number;
  readonly validators: readonly { readonly name: string; readonly publicKey: string; readonly power: number }[];
  readonly appState: GovGenesisState;
}

/**
 * The `gov` genesis of the network in `dir`, from the files initDevnet wrote: the root, the
 * operator CAs, the identities and the node certificates. Its validators are the app chains'
 * (the four nodes, power 1), which are exactly the registry's active nodes.
 */
export function devnetGovGenesis(
  dir: string,
  nodes: readonly GovGenesisNode[],
  validators: GovGenesisFile['validators'],
  options: { readonly gatewayTls: boolean; readonly time: number },
): GovGenesisFile {
  const pem = (...parts: string[]) => readFileSync(path.join(dir, ...parts), 'utf8');
  const operators = [...new Set(nodes.map((n) => n.operator))];
  const appState: GovGenesisState = {
    version: 1,
    rootCertPem: pem('pki', 'root', 'ca.pem'),
    authority: { name: 'authority', certPem: pem('identities', 'authority', 'cert.pem') },
    operators: operators.map((name) => ({ name, caCertPem: pem('pki', name, 'ca.pem'), adminCertPems: [pem('identities', name, 'cert.pem')] })),
    nodes: nodes.map((n, i) => ({
      certPem: pem(n.name, 'tls', 'cert.pem'),
      operator: n.operator,
      ...devnetRegion(i),
      p2p: `127.0.0.1:${n.p2pPort}`,
      ...(n.gatewayPort !== undefined && { gateway: `${options.gatewayTls ? 'https' : 'http'}://127.0.0.1:${n.gatewayPort}` }),
      power: 1,
    })),
    orgs: [{ certPem: pem('identities', 'dev', 'cert.pem'), name: 'dev', roles: ['developer', 'member'], trustCode: DEV_ORG_TRUST_CODE }],
    plans: DEV_PLANS,
  };
  return { chainId: GOV_CHAIN_ID, suite: 'ecdsa-p256', app: 'gov', time: options.time, validators, appState };
}
