import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BsnError } from '../../errors.js';
import type { RevocationRecord } from '../../execution/gov/types.js';
import { CA_FILES, encodePem, keyIdOf, loadCa, REVOCATION_REASONS, signCrl, unlockCa, type CaDirectory, type CaSecret, type RevocationReason } from '../../pki/index.js';
import { checkOutputFile, writeFileAtomic } from '../../pki/files.js';
import { readPassphraseFile, readShareFiles } from '../ca/common.js';
import { CliUsageError, makeOutput } from '../output.js';
import { connectGov, type ConnectFlags } from './connect.js';

/*
 * `bsn ca crl --from-chain` (docs/governance.md, "Commands"): the chain's revocations as
 * standard X.509 v2 CRLs, one per issuer, each signed by that CA's own key, written
 * concatenated in one PEM file that `openssl crl` and TLS stacks read. The CRL number is the gov
 * height read, so a later CRL of the same issuer always has a larger one.
 */

/** A revocation on the chain names an issuer whose CA directory (with its key) was not given. */
export class ChainCrlIssuerError extends BsnError {
  readonly code = 'CLI_CRL_NO_CA_KEY';
}

export interface ChainCrlFlags extends ConnectFlags {
  readonly out: string;
  /** CA directories to sign with (repeatable); by default every CA under `<dir>/pki`. */
  readonly ca?: readonly string[];
  readonly passphraseFile?: string;
  readonly share?: readonly string[];
  readonly days?: number;
}

export interface ChainCrlResult {
  readonly height: number;
  readonly crls: readonly { readonly issuer: string; readonly crlNumber: number; readonly serials: readonly string[] }[];
}

/** The given CA directories, or every directory under `<dir>/pki` that holds a CA certificate. */
function caDirectories(flags: ChainCrlFlags): CaDirectory[] {
  if (flags.ca && flags.ca.length > 0) return flags.ca.map(loadCa);
  if (flags.dir === undefined) throw new CliUsageError('give --ca DIR for each issuer (or --dir of a bsn up network)');
  const pki = path.join(flags.dir, 'pki');
  if (!existsSync(pki)) throw new CliUsageError(`'${flags.dir}' has no pki directory: give --ca DIR for each issuer`);
  return readdirSync(pki, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(pki, e.name, CA_FILES.cert)))
    .map((e) => loadCa(path.join(pki, e.name)));
}

function passphrase(flags: ChainCrlFlags): string {
  if (flags.passphraseFile !== undefined) return readPassphraseFile(flags.passphraseFile);
  const fallback = flags.dir === undefined ? undefined : path.join(flags.dir, 'pki', 'passphrase.txt');
  if (fallback === undefined || !existsSync(fallback)) throw new CliUsageError('give --passphrase-file to unlock the CA keys');
  return readPassphraseFile(fallback);
}

const reasonOf = (r: RevocationRecord): RevocationReason | undefined => ((REVOCATION_REASONS as readonly string[]).includes(r.reason) ? (r.reason as RevocationReason) : undefined);

export interface ChainCrlInput {
  readonly revocations: readonly RevocationRecord[];
  /** The gov height the revocations were read at: the CRLs' number. */
  readonly height: number;
  readonly cas: readonly CaDirectory[];
  /** Unlocks the CA keys; asked for only when there is something to sign. */
  readonly secret: () => CaSecret;
  readonly now: Date;
  readonly days?: number;
}

/**
 * One CRL per issuer of `revocations`, PEM, signed by the CA among `cas` whose certificate has
 * the issuer's fingerprint. Every issuer must have its CA at hand before any key is unlocked.
 */
export async function signChainCrls(input: ChainCrlInput): Promise<{ pem: string; crls: ChainCrlResult['crls'] }> {
  const byIssuer = new Map<string, RevocationRecord[]>();
  for (const r of input.revocations) byIssuer.set(r.issuerFingerprint, [...(byIssuer.get(r.issuerFingerprint) ?? []), r]);
  const plan = [...byIssuer.entries()].map(([fingerprint, records]) => {
    const ca = input.cas.find((c) => c.cert.fingerprint === fingerprint);
    if (!ca) throw new ChainCrlIssuerError(`the chain records revocations by '${records[0]!.issuer}' (${fingerprint}), whose CA directory is not at hand: give it with --ca DIR`);
    return { ca, records: [...records].sort((a, b) => a.serial.localeCompare(b.serial)) };
  });
  const secret = plan.length === 0 ? undefined : input.secret();
  const nextUpdate = new Date(input.now.getTime() + (input.days ?? 7) * 86_400_000);
  const pems: string[] = [];
  const crls: ChainCrlResult['crls'][number][] = [];
  for (const { ca, records } of plan) {
    const issuerKey = await unlockCa(ca, secret!);
    const crl = signCrl({
      issuer: ca.cert.subject,
      issuerKey,
      issuerKeyId: keyIdOf(ca.cert.spki),
      thisUpdate: input.now,
      nextUpdate,
      crlNumber: Math.max(1, input.height),
      entries: records.map((r) => ({ serial: r.serial, revokedAt: new Date(r.time), ...(reasonOf(r) && { reason: reasonOf(r)! }) })),
    });
    pems.push(encodePem('X509 CRL', crl.der));
    crls.push({ issuer: crl.issuerText, crlNumber: crl.crlNumber ?? input.height, serials: records.map((r) => r.serial) });
  }
  return { pem: pems.join(''), crls };
}

/** Reads the revocations through a gateway, signs a CRL per issuer and writes them to `flags.out`. */
export async function writeChainCrl(flags: ChainCrlFlags, now = new Date()): Promise<ChainCrlResult> {
  checkOutputFile(flags.out, true);
  const registry = await (await connectGov(flags)).registry();
  const cas = registry.revocations.length === 0 ? [] : caDirectories(flags);
  const { pem, crls } = await signChainCrls({ revocations: registry.revocations, height: registry.height, cas, now, ...(flags.days !== undefined && { days: flags.days }), secret: () => ({ passphrase: passphrase(flags), shares: readShareFiles(flags.share) }) });
  writeFileAtomic(flags.out, pem);
  return { height: registry.height, crls };
}

/** The action of `bsn ca crl --from-chain`: writes the file and reports each issuer's CRL. */
export async function runChainCrl(flags: ChainCrlFlags & { json?: boolean }): Promise<void> {
  const result = await writeChainCrl(flags);
  const lines = result.crls.length === 0
    ? [`the governance chain (height ${result.height}) records no revocations; wrote an empty ${flags.out}`]
    : result.crls.map((c) => `CRL #${c.crlNumber} of '${c.issuer}' with ${c.serials.length} revoked certificate(s): ${c.serials.join(', ')}`).concat([`written to ${flags.out}`]);
  makeOutput(flags.json ?? false).result({ ok: true, height: result.height, crls: result.crls, file: flags.out }, lines);
}
