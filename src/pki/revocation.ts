import { existsSync } from 'node:fs';
import path from 'node:path';
import { verifyTbs } from './algorithms.js';
import { keyIdOf, REVOCATION_REASONS, signCrl, type CrlEntry, type RevocationReason } from './build.js';
import { CA_FILES, loadCa, readCaFile, unlockCa, type CaDirectory, type CaSecret } from './ca-dir.js';
import { validityFrom } from './ceremony.js';
import { CaDatabaseError, IssuancePolicyError, NotIssuedByCaError } from './errors.js';
import { checkOutputFile, writeFileAtomic } from './files.js';
import { namesEqual } from './name.js';
import { encodePem } from './pem.js';
import { DEFAULT_DAYS } from './profiles.js';
import type { ParsedCertificate, ParsedCrl } from './parse.js';

/**
 * The revocation database of a CA (`revoked.json` in its directory) and the CRLs made from it.
 * One writer at a time: the file is replaced atomically, but concurrent revocations in the same
 * CA directory are not merged.
 */

const FORMAT = 'bsn-revocations/1';

interface RevocationRecord {
  readonly serial: string;
  readonly subject: string;
  readonly revokedAt: string;
  readonly reason: RevocationReason;
}

interface RevocationDb {
  readonly format: typeof FORMAT;
  /** The number of the last CRL issued; the next one gets this plus one. */
  readonly crlNumber: number;
  readonly entries: readonly RevocationRecord[];
}

function readDb(ca: CaDirectory): RevocationDb {
  if (!existsSync(path.join(ca.dir, CA_FILES.revocations))) return { format: FORMAT, crlNumber: 0, entries: [] };
  let db: Partial<RevocationDb>;
  try {
    db = JSON.parse(readCaFile(ca.dir, CA_FILES.revocations)) as Partial<RevocationDb>;
  } catch (cause) {
    throw new CaDatabaseError(`${CA_FILES.revocations} is not JSON`, { cause });
  }
  const valid =
    db?.format === FORMAT &&
    Number.isSafeInteger(db.crlNumber) &&
    Array.isArray(db.entries) &&
    db.entries.every((e) => /^[0-9a-f]+$/.test(e?.serial ?? '') && !Number.isNaN(Date.parse(e.revokedAt)) && REVOCATION_REASONS.includes(e.reason));
  if (!valid) throw new CaDatabaseError(`${path.join(ca.dir, CA_FILES.revocations)} is not a ${FORMAT} database`);
  return db as RevocationDb;
}

function writeDb(ca: CaDirectory, db: RevocationDb): void {
  writeFileAtomic(path.join(ca.dir, CA_FILES.revocations), `${JSON.stringify(db, null, 2)}\n`);
}

export function parseReason(reason: string | undefined): RevocationReason {
  if (reason === undefined) return 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) {
    throw new IssuancePolicyError(`unknown revocation reason '${reason}' (use ${REVOCATION_REASONS.join(', ')})`);
  }
  return reason as RevocationReason;
}

export interface RevokeOptions {
  readonly caDir: string;
  readonly cert: ParsedCertificate;
  readonly reason?: RevocationReason;
  readonly secret: CaSecret;
  readonly now?: Date;
}

/** Records `cert` as revoked by the CA that issued it; revoking twice keeps the first record. */
export async function revokeCertificate(options: RevokeOptions): Promise<{ alreadyRevoked: boolean; serial: string }> {
  const ca = loadCa(options.caDir);
  const { cert } = options;
  if (!namesEqual(cert.issuer, ca.cert.subject) || !verifyTbs(ca.cert.publicKey, cert.signatureAlgorithm, cert.tbs, cert.signature)) {
    throw new NotIssuedByCaError(`'${cert.subjectText}' (serial ${cert.serial}) was not issued by '${ca.cert.subjectText}'`);
  }
  const db = readDb(ca);
  // The key is unlocked only to prove that whoever revokes holds the CA.
  await unlockCa(ca, options.secret);
  if (db.entries.some((e) => e.serial === cert.serial)) return { alreadyRevoked: true, serial: cert.serial };
  const entry: RevocationRecord = {
    serial: cert.serial,
    subject: cert.subjectText,
    revokedAt: new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000).toISOString(),
    reason: options.reason ?? 'unspecified',
  };
  writeDb(ca, { ...db, entries: [...db.entries, entry] });
  return { alreadyRevoked: false, serial: cert.serial };
}

export interface CrlOptions {
  readonly caDir: string;
  readonly out: string;
  readonly secret: CaSecret;
  readonly days?: number;
  readonly now?: Date;
}

/** Signs a new CRL of everything in the CA's database; the CRL number increases by one each time. */
export async function generateCrl(options: CrlOptions): Promise<ParsedCrl> {
  const ca = loadCa(options.caDir);
  const db = readDb(ca);
  const { notBefore, notAfter } = validityFrom(options.now ?? new Date(), options.days ?? DEFAULT_DAYS.crl);
  // CRLs are republished in place, so an existing file is replaced.
  checkOutputFile(options.out, true);
  const issuerKey = await unlockCa(ca, options.secret);
  const crlNumber = db.crlNumber + 1;
  const entries: CrlEntry[] = db.entries.map((e) => ({ serial: e.serial, revokedAt: new Date(e.revokedAt), reason: e.reason }));
  const crl = signCrl({
    issuer: ca.cert.subject,
    issuerKey,
    issuerKeyId: keyIdOf(ca.cert.spki),
    thisUpdate: notBefore,
    nextUpdate: notAfter,
    crlNumber,
    entries,
  });
  // The number is reserved before the CRL appears, so no two CRLs ever share one.
  writeDb(ca, { ...db, crlNumber });
  writeFileAtomic(options.out, encodePem('X509 CRL', crl.der));
  return crl;
}
