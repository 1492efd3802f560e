import path from 'node:path';
import { certificateSuite, spkiOfPublicKey } from './algorithms.js';
import { keyIdOf, signCertificate } from './build.js';
import { checkNewDirectory, LEAF_FILES, loadCa, unlockCa, type CaSecret } from './ca-dir.js';
import { validityFrom } from './ceremony.js';
import { IssuancePolicyError } from './errors.js';
import { writeFilesAtomic } from './files.js';
import { encryptPkcs8, exportPkcs8 } from './key-encryption.js';
import { namesEqual } from './name.js';
import { encodePem } from './pem.js';
import { DEFAULT_DAYS, leafExtensions, leafSubject, type LeafRequest } from './profiles.js';
import type { ParsedCertificate } from './parse.js';

/** Leaf certificates (node, org, user) issued by an operator CA, with a fresh key pair. */

export interface IssueLeafOptions extends LeafRequest {
  readonly caDir: string;
  readonly out: string;
  readonly secret: CaSecret;
  /** The leaf's suite; the CA's when absent. */
  readonly suite?: string;
  readonly days?: number;
  /** Encrypt key.pem under this passphrase; without it key.pem is plain PKCS#8 (mode 0600). */
  readonly keyPassphrase?: string;
  readonly force?: boolean;
  readonly now?: Date;
}

export interface IssueLeafResult {
  readonly certificate: ParsedCertificate;
  readonly files: string[];
}

export async function issueLeaf(options: IssueLeafOptions): Promise<IssueLeafResult> {
  const ca = loadCa(options.caDir);
  if (namesEqual(ca.cert.subject, ca.cert.issuer)) {
    throw new IssuancePolicyError(`'${ca.cert.subjectText}' is a root CA; node, org and user certificates come from an operator CA`);
  }
  const suite = certificateSuite(options.suite ?? ca.cert.suite);
  const subject = leafSubject(options);
  if (options.keyPassphrase !== undefined && options.keyPassphrase.length === 0) throw new IssuancePolicyError('the key passphrase is empty');
  const validity = validityFrom(options.now ?? new Date(), options.days ?? DEFAULT_DAYS.leaf, ca.cert.notAfter);
  checkNewDirectory(options.out, options.force ?? false);
  // Built once before unlocking so that a bad SAN or name fails before the passphrase is tried.
  leafExtensions(options, suite.name, new Uint8Array(20));
  const issuerKey = await unlockCa(ca, options.secret);

  const keys = suite.generateKeyPair();
  const spki = spkiOfPublicKey(keys.publicKey);
  const certificate = signCertificate({
    subject,
    subjectSpki: spki,
    issuer: ca.cert.subject,
    issuerKey,
    issuerKeyId: keyIdOf(ca.cert.spki),
    ...validity,
    extensions: leafExtensions(options, suite.name, keyIdOf(spki)),
  });
  const pkcs8 = exportPkcs8(keys.privateKey);
  const keyPem = options.keyPassphrase !== undefined ? encryptPkcs8(pkcs8, options.keyPassphrase) : encodePem('PRIVATE KEY', pkcs8);
  const files = [
    { name: LEAF_FILES.key, data: keyPem, secret: true },
    { name: LEAF_FILES.cert, data: encodePem('CERTIFICATE', certificate.der) },
  ];
  writeFilesAtomic(options.out, files);
  return { certificate, files: files.map((f) => path.join(options.out, f.name)) };
}
