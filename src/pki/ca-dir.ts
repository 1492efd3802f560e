import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PrivateKey, PublicKey } from '../crypto/index.js';
import { custodyPassword, CUSTODY_FILE, parseCustodyRecord, recoverDataKey, type CustodyRecord, type ShareInput } from './custody.js';
import { CaDirectoryError, KeyMismatchError, NotACaError, KeyUsageError, SharesInsufficientError } from './errors.js';
import { KeyUsageFlags } from './extensions.js';
import { isDirectory } from './files.js';
import { readPrivateKeyPem } from './key-encryption.js';
import { parseCertificatePem, type ParsedCertificate } from './parse.js';

/**
 * The on-disk layout of CA and leaf directories (an interface: other tools and docs rely on
 * these names) and the unlocking of a CA's key.
 */

export const CA_FILES = {
  cert: 'ca.pem',
  key: 'ca.key',
  csr: 'ca.csr',
  custody: CUSTODY_FILE,
  revocations: 'revoked.json',
} as const;

export const LEAF_FILES = { cert: 'cert.pem', key: 'key.pem' } as const;

/** What opens a CA key: the passphrase and, for a key under k-of-n custody, k share files. */
export interface CaSecret {
  readonly passphrase: string;
  readonly shares?: readonly ShareInput[];
}

export interface CaDirectory {
  readonly dir: string;
  readonly cert: ParsedCertificate;
  readonly keyPem: string;
  readonly custody?: CustodyRecord;
}

export function readCaFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CaDirectoryError(`cannot read ${file}`, { cause });
  }
}

/** Refuses to start a CA or leaf in a directory that already holds something, unless forced. */
export function checkNewDirectory(dir: string, force: boolean): void {
  if (existsSync(dir) && !isDirectory(dir)) throw new CaDirectoryError(`'${dir}' exists and is not a directory`);
  if (!force && isDirectory(dir) && readdirSync(dir).length > 0) {
    throw new CaDirectoryError(`'${dir}' already exists and is not empty (use --force to replace what it holds)`);
  }
}

/** A CA directory with its certificate, ready to issue: the certificate must be a CA with keyCertSign. */
export function loadCa(dir: string): CaDirectory {
  if (!isDirectory(dir)) throw new CaDirectoryError(`CA directory '${dir}' does not exist`);
  const has = (name: string): boolean => existsSync(path.join(dir, name));
  if (!has(CA_FILES.cert) && has(LEAF_FILES.cert)) {
    throw new NotACaError(`'${dir}' is a leaf directory (${LEAF_FILES.cert}), not a CA`);
  }
  if (!has(CA_FILES.cert) && has(CA_FILES.csr)) {
    throw new CaDirectoryError(`'${dir}' has a request (${CA_FILES.csr}) but no certificate yet: have it signed with 'bsn ca sign'`);
  }
  const cert = parseCertificatePem(readCaFile(dir, CA_FILES.cert));
  if (!cert.extensions.basicConstraints?.ca) throw new NotACaError(`'${dir}/${CA_FILES.cert}' is not a CA certificate`);
  const usage = cert.extensions.keyUsage;
  if (usage !== undefined && !(usage & KeyUsageFlags.keyCertSign)) throw new KeyUsageError(`'${dir}/${CA_FILES.cert}' may not sign certificates (no keyCertSign)`);
  return { dir, cert, keyPem: readCaFile(dir, CA_FILES.key), ...(has(CA_FILES.custody) && { custody: parseCustodyRecord(readCaFile(dir, CA_FILES.custody)) }) };
}

/** Decrypts a CA key and checks that it is the key of `owner` (its certificate or request). */
export async function unlockKey(keyPem: string, custody: CustodyRecord | undefined, secret: CaSecret, owner: { publicKey: PublicKey }): Promise<PrivateKey> {
  let password = secret.passphrase;
  if (custody) {
    if (!secret.shares || secret.shares.length === 0) {
      throw new SharesInsufficientError(`this key is under ${custody.threshold}-of-${custody.total} custody: give ${custody.threshold} --share files`);
    }
    password = custodyPassword(await recoverDataKey(custody, secret.shares), secret.passphrase);
  } else if (secret.shares && secret.shares.length > 0) {
    throw new CaDirectoryError('this key is not under share custody; do not give --share');
  }
  const key = readPrivateKeyPem(keyPem, password);
  if (key.suite !== owner.publicKey.suite || !Buffer.from(key.publicKey.bytes).equals(owner.publicKey.bytes)) {
    throw new KeyMismatchError('the private key does not belong to the certificate next to it');
  }
  return key;
}

export async function unlockCa(ca: CaDirectory, secret: CaSecret): Promise<PrivateKey> {
  return unlockKey(ca.keyPem, ca.custody, secret, ca.cert);
}
