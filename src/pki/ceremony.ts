import { rmSync } from 'node:fs';
import path from 'node:path';
import { certificateSuite, spkiOfPublicKey } from './algorithms.js';
import { keyIdOf, signCertificate, createCsr, verifyCsr } from './build.js';
import { CA_FILES, checkNewDirectory, loadCa, unlockCa, type CaSecret } from './ca-dir.js';
import { checkShareParameters, createCustody, custodyPassword, type ShareFile } from './custody.js';
import { CaDirectoryError, IssuancePolicyError, PathLengthError } from './errors.js';
import { checkOutputFile, writeFileAtomic, writeFilesAtomic, type OutputFile } from './files.js';
import { encryptPkcs8, exportPkcs8 } from './key-encryption.js';
import { nameValue } from './name.js';
import { encodePem } from './pem.js';
import { caSubject, DEFAULT_DAYS, operatorExtensions, rootExtensions } from './profiles.js';
import { parseCsrPem, type ParsedCertificate, type ParsedCsr } from './parse.js';

/** The root ceremony and the operator CAs under it. */

const DAY_MS = 86_400_000;
/** Certificates start a minute in the past so that peers with slightly slow clocks accept them at once. */
const BACKDATE_MS = 60_000;

export function validityFrom(now: Date, days: number, cap?: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new IssuancePolicyError(`validity must be 1..36500 days, got ${days}`);
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  const wanted = new Date(Math.floor(now.getTime() / 1000) * 1000 + days * DAY_MS);
  return { notBefore, notAfter: cap && cap < wanted ? cap : wanted };
}

export function checkPassphrase(passphrase: string): void {
  if (passphrase.length === 0) throw new IssuancePolicyError('the passphrase is empty');
}

export interface ShareOptions {
  readonly total: number;
  readonly threshold: number;
  /** Where the custodians' share files go (share-<i>-of-<n>.json). */
  readonly dir: string;
}

export interface InitRootOptions {
  readonly dir: string;
  readonly name: string;
  readonly suite: string;
  readonly passphrase: string;
  readonly days?: number;
  readonly force?: boolean;
  readonly shares?: ShareOptions;
  readonly now?: Date;
}

export interface InitRootResult {
  readonly certificate: ParsedCertificate;
  readonly fingerprint: string;
  readonly files: string[];
  readonly shareFiles: string[];
}

const shareFileName = (share: ShareFile): string => `share-${share.index}-of-${share.total}.json`;

/** Removes files a forced re-initialisation leaves behind from the CA it replaces. */
function removeStale(dir: string, keep: readonly string[]): void {
  for (const name of Object.values(CA_FILES)) if (!keep.includes(name)) rmSync(path.join(dir, name), { force: true });
}

/** Makes a self-signed root CA; with `shares`, its key is put under k-of-n custody. */
export async function initRoot(options: InitRootOptions): Promise<InitRootResult> {
  const suite = certificateSuite(options.suite);
  checkPassphrase(options.passphrase);
  const subject = caSubject(options.name);
  const validity = validityFrom(options.now ?? new Date(), options.days ?? DEFAULT_DAYS.root);
  if (options.shares) {
    checkShareParameters(options.shares.total, options.shares.threshold);
    if (path.resolve(options.shares.dir) === path.resolve(options.dir)) throw new CaDirectoryError('the share directory must not be the CA directory');
    checkNewDirectory(options.shares.dir, options.force ?? false);
  }
  checkNewDirectory(options.dir, options.force ?? false);

  const keys = suite.generateKeyPair();
  const spki = spkiOfPublicKey(keys.publicKey);
  const keyId = keyIdOf(spki);
  const certificate = signCertificate({
    subject,
    subjectSpki: spki,
    issuer: subject,
    issuerKey: keys.privateKey,
    issuerKeyId: keyId,
    ...validity,
    extensions: rootExtensions(keyId),
  });
  const files: OutputFile[] = [{ name: CA_FILES.cert, data: encodePem('CERTIFICATE', certificate.der) }];
  let shareFiles: OutputFile[] = [];
  let password = options.passphrase;
  if (options.shares) {
    const custody = await createCustody(options.shares.total, options.shares.threshold, options.name, certificate.fingerprint);
    password = custodyPassword(custody.dataKey, options.passphrase);
    files.push({ name: CA_FILES.custody, data: `${JSON.stringify(custody.record, null, 2)}\n` });
    shareFiles = custody.shares.map((share) => ({ name: shareFileName(share), data: `${JSON.stringify(share, null, 2)}\n`, secret: true }));
  }
  files.unshift({ name: CA_FILES.key, data: encryptPkcs8(exportPkcs8(keys.privateKey), password), secret: true });

  if (options.shares) writeFilesAtomic(options.shares.dir, shareFiles);
  writeFilesAtomic(options.dir, files);
  removeStale(options.dir, files.map((f) => f.name));
  return {
    certificate,
    fingerprint: certificate.fingerprint,
    files: files.map((f) => path.join(options.dir, f.name)),
    shareFiles: shareFiles.map((f) => path.join(options.shares?.dir ?? '', f.name)),
  };
}

export interface InitOperatorOptions {
  readonly dir: string;
  readonly name: string;
  readonly suite: string;
  readonly passphrase: string;
  readonly force?: boolean;
}

/** An operator's key pair (encrypted) and its CSR, to be signed by the root. */
export function initOperator(options: InitOperatorOptions): { csrPem: string; files: string[] } {
  const suite = certificateSuite(options.suite);
  checkPassphrase(options.passphrase);
  const subject = caSubject(options.name);
  checkNewDirectory(options.dir, options.force ?? false);
  const keys = suite.generateKeyPair();
  const csrPem = encodePem('CERTIFICATE REQUEST', createCsr(subject, keys.privateKey).der);
  const files: OutputFile[] = [
    { name: CA_FILES.key, data: encryptPkcs8(exportPkcs8(keys.privateKey), options.passphrase), secret: true },
    { name: CA_FILES.csr, data: csrPem },
  ];
  writeFilesAtomic(options.dir, files);
  removeStale(options.dir, files.map((f) => f.name));
  return { csrPem, files: files.map((f) => path.join(options.dir, f.name)) };
}

export interface SignCaOptions {
  readonly caDir: string;
  readonly csrPem: string;
  readonly out: string;
  readonly secret: CaSecret;
  readonly days?: number;
  readonly force?: boolean;
  readonly now?: Date;
}

/** The root signs an operator's CSR: an intermediate CA certificate with pathLen 0. */
export async function signOperatorCsr(options: SignCaOptions): Promise<ParsedCertificate> {
  const ca = loadCa(options.caDir);
  const pathLen = ca.cert.extensions.basicConstraints?.pathLen;
  if (pathLen !== undefined && pathLen < 1) {
    throw new PathLengthError(`'${ca.cert.subjectText}' has pathLen ${pathLen} and cannot sign CA certificates`);
  }
  const csr = parsePendingCsr(options.csrPem);
  checkOutputFile(options.out, options.force ?? false);
  const validity = validityFrom(options.now ?? new Date(), options.days ?? DEFAULT_DAYS.operator, ca.cert.notAfter);
  const issuerKey = await unlockCa(ca, options.secret);
  const keyId = keyIdOf(csr.spki);
  const cert = signCertificate({
    subject: csr.subject,
    subjectSpki: csr.spki,
    issuer: ca.cert.subject,
    issuerKey,
    issuerKeyId: keyIdOf(ca.cert.spki),
    ...validity,
    extensions: operatorExtensions(keyId),
  });
  writeFileAtomic(options.out, encodePem('CERTIFICATE', cert.der));
  return cert;
}

function parsePendingCsr(csrPem: string): ParsedCsr {
  const csr = parseCsrPem(csrPem);
  verifyCsr(csr);
  if (nameValue(csr.subject, 'CN') === undefined) throw new IssuancePolicyError(`the request's subject '${csr.subjectText}' has no CN`);
  return csr;
}
