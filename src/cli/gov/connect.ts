import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PrivateKey } from '../../crypto/index.js';
import { gatewayUrl, loadLayout } from '../../network/devnet.js';
import { CA_FILES, LEAF_FILES, loadCa, parseCertificatePem, readPrivateKeyPem, unlockCa, type ParsedCertificate } from '../../pki/index.js';
import { GovClient } from '../../sdk/gov-client.js';
import { CliUsageError } from '../output.js';
import { readInputFile, readPassphraseFile } from '../ca/common.js';

/*
 * Where `bsn gov` commands send their requests and whom they sign as (docs/governance.md,
 * "Commands"): a `bsn up` network (`--dir DIR`, its gateways from DIR/devnet.json) or any
 * gateway (`--node URL`); an identity by name (`--as NAME`) or by files (`--cert`/`--key-file`).
 */

export interface ConnectFlags {
  readonly dir?: string;
  readonly node?: string;
  /** PEM file of the root an HTTPS gateway's certificate chains to (`--node https://…`). */
  readonly rootCert?: string;
}

export interface IdentityFlags extends ConnectFlags {
  readonly as?: string;
  /** The signer certificate when given by files (`--signer-cert`, or `--cert` where no action takes it). */
  readonly signerCert?: string;
  readonly keyFile?: string;
  readonly passphraseFile?: string;
}

/** Who signs a gov tx: a certificate and its private key. */
export interface Signer {
  /** For messages: the --as name, or the certificate's subject. */
  readonly label: string;
  readonly cert: ParsedCertificate;
  readonly privateKey: PrivateKey;
}

/** The gateways to try, in order: --node, else every gateway of the --dir network. */
export function gatewayUrls(flags: ConnectFlags): { urls: string[]; ca?: string } {
  const ca = flags.rootCert === undefined ? undefined : readInputFile(flags.rootCert, 'root certificate');
  if (flags.node !== undefined) return { urls: [flags.node], ...(ca !== undefined && { ca }) };
  if (flags.dir === undefined) throw new CliUsageError('give --dir DIR (a network made by bsn up) or --node URL (a gateway)');
  const layout = loadLayout(flags.dir);
  if (!layout) throw new CliUsageError(`'${flags.dir}' is not a network made by bsn up (no devnet.json); give --node URL for another network`);
  const urls = layout.nodes.map((n) => gatewayUrl(layout, n)).filter((u): u is string => u !== undefined);
  if (urls.length === 0) throw new CliUsageError(`the network in '${flags.dir}' has no gateways`);
  const rootPem = layout.gatewayTls ? readInputFile(path.join(flags.dir, 'pki', 'root', CA_FILES.cert), 'network root certificate') : undefined;
  return { urls, ...((ca ?? rootPem) !== undefined && { ca: ca ?? rootPem }) };
}

/** A client of the first gateway that answers for `gov`. */
export async function connectGov(flags: ConnectFlags): Promise<GovClient> {
  const { urls, ca } = gatewayUrls(flags);
  return GovClient.connect(urls, ca === undefined ? {} : { ca });
}

const hasLeaf = (dir: string): boolean => existsSync(path.join(dir, LEAF_FILES.cert)) && existsSync(path.join(dir, LEAF_FILES.key));

/** The passphrase of --passphrase-file, else of the network's `<dir>/pki/passphrase.txt`, else none. */
function passphraseOf(flags: IdentityFlags): string | undefined {
  if (flags.passphraseFile !== undefined) return readPassphraseFile(flags.passphraseFile);
  const fallback = flags.dir === undefined ? undefined : path.join(flags.dir, 'pki', 'passphrase.txt');
  return fallback !== undefined && existsSync(fallback) ? readPassphraseFile(fallback) : undefined;
}

function leafSigner(label: string | undefined, certFile: string, keyFile: string, flags: IdentityFlags): Signer {
  const cert = parseCertificatePem(readInputFile(certFile, 'certificate'));
  const keyPem = readInputFile(keyFile, 'key file');
  const privateKey = readPrivateKeyPem(keyPem, keyPem.includes('ENCRYPTED') ? passphraseOf(flags) : undefined);
  if (privateKey.suite !== cert.publicKey.suite || !Buffer.from(privateKey.publicKey.bytes).equals(cert.publicKey.bytes)) {
    throw new CliUsageError(`the key '${keyFile}' does not belong to the certificate '${certFile}'`);
  }
  return { label: label ?? cert.subjectText, cert, privateKey };
}

/**
 * The signer of --as NAME: `<dir>/identities/NAME/{cert.pem,key.pem}`; else NAME as a directory
 * holding cert.pem and key.pem; else NAME as a CA directory (ca.pem and its encrypted key, e.g.
 * the operator CA made by `bsn ca init-operator`), unlocked with --passphrase-file or the
 * network's passphrase. Or the signer of --signer-cert/--cert with --key-file.
 */
export async function resolveSigner(flags: IdentityFlags): Promise<Signer> {
  if (flags.as !== undefined) {
    const name = flags.as;
    const identity = flags.dir === undefined ? undefined : path.join(flags.dir, 'identities', name);
    if (identity !== undefined && hasLeaf(identity)) return leafSigner(name, path.join(identity, LEAF_FILES.cert), path.join(identity, LEAF_FILES.key), flags);
    if (hasLeaf(name)) return leafSigner(name, path.join(name, LEAF_FILES.cert), path.join(name, LEAF_FILES.key), flags);
    if (existsSync(path.join(name, CA_FILES.cert)) && existsSync(path.join(name, CA_FILES.key))) {
      const ca = loadCa(name);
      const passphrase = passphraseOf(flags);
      if (passphrase === undefined) throw new CliUsageError(`'${name}' is a CA directory: give --passphrase-file to unlock its key`);
      return { label: name, cert: ca.cert, privateKey: await unlockCa(ca, { passphrase }) };
    }
    const looked = [...(identity === undefined ? [] : [identity]), name].map((d) => `'${d}'`).join(', ');
    throw new CliUsageError(`no identity '${name}': looked for cert.pem and key.pem in ${looked}, and for a CA directory '${name}'`);
  }
  if (flags.signerCert !== undefined && flags.keyFile !== undefined) return leafSigner(undefined, flags.signerCert, flags.keyFile, flags);
  throw new CliUsageError('say who signs: --as NAME, or a certificate and --key-file');
}
