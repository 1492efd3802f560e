import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { CodecValue } from '../../codec/index.js';
import { ecdsaP256, type PrivateKey } from '../../crypto/index.js';
import type { ExecutionResult, Genesis } from '../application.js';
import { GovApplication } from './app.js';
import { proposePayload, signGovTx, votePayload } from './tx.js';
import type { ProposalRecord } from './types.js';
import { initOperator, initRoot, issueLeaf, parseCertificatePem, readPrivateKeyPem, signOperatorCsr, type LeafKind } from '../../pki/index.js';
import type { GovGenesisState } from './types.js';

/*
 * A throwaway network PKI for the gov tests, made with src/pki exactly as operators would: a
 * root, operator CAs signed by it, an authority org, one admin org per operator, node leaves.
 */

const secret = { passphrase: 'correct horse battery staple' };
export const MINUTE = 60_000;
type Db = ClassicLevel<string, Uint8Array>;
const te = new TextEncoder();

export interface Identity {
  readonly name: string;
  readonly certPem: string;
  readonly privateKey: PrivateKey;
  readonly fingerprint: string;
}

export interface FixtureOperator {
  readonly name: string;
  readonly dir: string;
  /** The CA certificate, and its key as a signer. */
  readonly ca: Identity;
  readonly admin: Identity;
}

export interface GovPki {
  readonly dir: string;
  readonly rootPem: string;
  readonly authority: Identity;
  readonly operators: Map<string, FixtureOperator>;
  /** A new operator CA signed by the root (not admitted anywhere), with its admin org. */
  addOperator(name: string): Promise<FixtureOperator>;
  issue(operator: string, kind: LeafKind, name: string, options?: { now?: Date; days?: number }): Promise<Identity>;
  cleanup(): void;
}

function identity(name: string, certPem: string, keyPem: string, passphrase?: string): Identity {
  return { name, certPem, privateKey: readPrivateKeyPem(keyPem, passphrase), fingerprint: parseCertificatePem(certPem).fingerprint };
}

export async function makeGovPki(operatorNames: readonly string[], suite = 'ecdsa-p256'): Promise<GovPki> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-gov-'));
  const rootDir = path.join(dir, 'root');
  await initRoot({ dir: rootDir, name: 'Gov Test Root CA', suite, passphrase: secret.passphrase });
  const rootPem = readFileSync(path.join(rootDir, 'ca.pem'), 'utf8');
  const operators = new Map<string, FixtureOperator>();

  const issueFrom = async (opDir: string, kind: LeafKind, name: string, options: { now?: Date; days?: number } = {}): Promise<Identity> => {
    const out = path.join(dir, `leaf-${name}-${Math.random().toString(36).slice(2)}`);
    await issueLeaf({ caDir: opDir, out, kind, name, sans: kind === 'node' ? ['127.0.0.1'] : undefined, secret, ...options });
    return identity(name, readFileSync(path.join(out, 'cert.pem'), 'utf8'), readFileSync(path.join(out, 'key.pem'), 'utf8'));
  };

  const addOperator = async (name: string): Promise<FixtureOperator> => {
    const opDir = path.join(dir, name);
    const { csrPem } = initOperator({ dir: opDir, name: `${name} CA`, suite, passphrase: secret.passphrase });
    await signOperatorCsr({ caDir: rootDir, csrPem, out: path.join(opDir, 'ca.pem'), secret });
    const caPem = readFileSync(path.join(opDir, 'ca.pem'), 'utf8');
    const ca = identity(name, caPem, readFileSync(path.join(opDir, 'ca.key'), 'utf8'), secret.passphrase);
    const op: FixtureOperator = { name, dir: opDir, ca, admin: await issueFrom(opDir, 'org', `${name}-admin`) };
    operators.set(name, op);
    return op;
  };

  for (const name of operatorNames) await addOperator(name);
  const first = operators.get(operatorNames[0]!)!;
  const authority = await issueFrom(first.dir, 'org', 'authority');
  return {
    dir,
    rootPem,
    authority,
    operators,
    addOperator,
    issue: (operator, kind, name, options) => issueFrom(operators.get(operator)!.dir, kind, name, options),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A genesis of the given operators (admins included) and nodes, with the fixture's authority. */
export function genesisOf(pki: GovPki, operators: readonly string[], nodes: readonly { node: Identity; operator: string }[]): GovGenesisState {
  return {
    version: 1,
    rootCertPem: pki.rootPem,
    authority: { name: 'authority', certPem: pki.authority.certPem },
    operators: operators.map((name) => {
      const op = pki.operators.get(name)!;
      return { name, caCertPem: op.ca.certPem, adminCertPems: [op.admin.certPem] };
    }),
    nodes: nodes.map(({ node, operator }) => ({ certPem: node.certPem, operator, region: 'east', city: 'fuzhou', p2p: '127.0.0.1:26656' })),
  };
}

/** One gov app on its own LevelDB, driven block by block as the engine drives it. */
export class GovChain {
  height = 0;
  /** The txs of every committed block, for replaying them elsewhere. */
  readonly blocks: Uint8Array[][] = [];
  private readonly nonces = new Map<string, number>();

  private constructor(
    readonly dir: string,
    public db: Db,
    public app: GovApplication,
    /** The last committed block's time. */
    public time: number,
  ) {}

  static async start(genesis: Genesis, dirs: string[]): Promise<GovChain> {
    const dir = mkdtempSync(path.join(tmpdir(), 'bsn-gov-db-'));
    dirs.push(dir);
    const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    const app = await GovApplication.open(db, 'gov', { suite: ecdsaP256 });
    await app.initChain(genesis);
    return new GovChain(dir, db, app, genesis.time);
  }

  async reopen(): Promise<void> {
    await this.db.close();
    this.db = new ClassicLevel<string, Uint8Array>(this.dir, { valueEncoding: 'view' });
    this.app = await GovApplication.open(this.db, 'gov', { suite: ecdsaP256 });
  }

  /** Signs with the next nonce of `who` (counted here, as a client would). */
  sign(who: Identity, kind: 'propose' | 'vote', payload: CodecValue, nonce?: number): Uint8Array {
    const n = nonce ?? this.nonces.get(who.fingerprint) ?? 0;
    if (nonce === undefined) this.nonces.set(who.fingerprint, n + 1);
    return signGovTx({ chainId: 'gov', nonce: n, kind, payload, certPem: who.certPem, privateKey: who.privateKey });
  }

  propose(who: Identity, action: string, args: Record<string, unknown>, expiresIn = 60 * MINUTE): Uint8Array {
    return this.sign(who, 'propose', proposePayload(action, args, this.time + 1000 + expiresIn));
  }

  vote(who: Identity, id: string, yes = true): Uint8Array {
    return this.sign(who, 'vote', votePayload(id, yes));
  }

  /** Forgets a nonce handed out for a tx that is expected to fail. */
  unsign(who: Identity): void {
    this.nonces.set(who.fingerprint, this.nonces.get(who.fingerprint)! - 1);
  }

  execute(txs: Uint8Array[], advance = 1000): Promise<ExecutionResult> {
    return this.app.executeBlock({ height: this.height + 1, time: this.time + advance }, txs);
  }

  async block(txs: Uint8Array[], advance = 1000): Promise<ExecutionResult> {
    const result = await this.execute(txs, advance);
    await this.app.commit(result.height, result.executionId);
    this.blocks.push(txs);
    this.height = result.height;
    this.time += advance;
    return result;
  }

  async proposal(id: string): Promise<ProposalRecord | undefined> {
    const { value } = await this.app.query('proposal', te.encode(id));
    return value && JSON.parse(Buffer.from(value).toString('utf8'));
  }
}

