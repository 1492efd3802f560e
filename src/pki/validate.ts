import { verifyTbs } from './algorithms.js';
import {
  CrlInvalidError,
  CrlMissingError,
  ExpiredError,
  KeyUsageError,
  NameChainingError,
  NotACaError,
  NotYetValidError,
  PathLengthError,
  PurposeError,
  RevokedError,
  SignatureInvalidError,
  UnknownCriticalExtensionError,
  UnknownRootError,
  type CertificateRef,
} from './errors.js';
import { id_kp_clientAuth, id_kp_serverAuth, KeyUsageFlags, type BsnIdentity } from './extensions.js';
import { namesEqual } from './name.js';
import type { ParsedCertificate, ParsedCrl } from './parse.js';

/**
 * Certification path validation (RFC 5280 §6, restricted to what BSN certificates use: no
 * policies, no name constraints). Pure: certificates, CRLs and the time go in, a result or a typed
 * ValidationError naming the failed check and certificate comes out. The TLS layer and the
 * gateway call this with the CRLs they currently hold.
 */

export type Purpose = 'server' | 'client' | 'any';

const ANY_EKU = '2.5.29.37.0';
const MAX_PATH = 8;

export interface ValidationInput {
  /** Trust anchors: the network's root certificate(s). */
  readonly roots: readonly ParsedCertificate[];
  /** Candidate intermediates, in any order; unused ones are ignored. */
  readonly intermediates?: readonly ParsedCertificate[];
  readonly leaf: ParsedCertificate;
  /** CRLs, in any order; a CRL whose issuer is not in the path is ignored. */
  readonly crls?: readonly ParsedCrl[];
  /** The time of validation; now when absent. */
  readonly at?: Date;
  readonly purpose?: Purpose;
  /** Demand a CRL from the issuer of every certificate below the root (like openssl -crl_check_all). */
  readonly requireCrls?: boolean;
}

export interface ValidationResult {
  /** Leaf first, root last. */
  readonly path: readonly ParsedCertificate[];
  readonly root: ParsedCertificate;
  /** The BSN role of the leaf, from its private extension, when present. */
  readonly identity?: BsnIdentity;
}

const ref = (cert: ParsedCertificate, depth: number): CertificateRef => ({ subject: cert.subjectText, depth });

/**
 * Whether `issuer` issued `cert`: 'match' when the names chain and the key identifiers (where both
 * are present) agree; 'conflict' when the key identifiers agree but the names do not (a broken
 * name chain); 'none' otherwise — a same-named CA with another key is simply another CA.
 */
function linkOf(cert: ParsedCertificate, issuer: ParsedCertificate): 'match' | 'conflict' | 'none' {
  const nameMatch = namesEqual(cert.issuer, issuer.subject);
  const aki = cert.extensions.authorityKeyId;
  const ski = issuer.extensions.subjectKeyId;
  const keyMatch = aki === undefined || ski === undefined ? undefined : aki === ski;
  if (nameMatch && keyMatch !== false) return 'match';
  if (!nameMatch && keyMatch === true) return 'conflict';
  return 'none';
}

const isSelfIssued = (cert: ParsedCertificate): boolean => namesEqual(cert.issuer, cert.subject);
const sameCert = (a: ParsedCertificate, b: ParsedCertificate): boolean => a.fingerprint === b.fingerprint;

/** Leaf first, ending at a trusted root. */
export function buildPath(input: ValidationInput): ParsedCertificate[] {
  const path = [input.leaf];
  for (;;) {
    const current = path[path.length - 1] as ParsedCertificate;
    const depth = path.length - 1;
    if (input.roots.some((root) => sameCert(root, current))) return path;
    const root = input.roots.find((r) => linkOf(current, r) === 'match');
    if (root) return [...path, root];
    if (path.length >= MAX_PATH) throw new PathLengthError(`the chain is longer than ${MAX_PATH} certificates`, ref(current, depth));
    const next = (input.intermediates ?? []).find((c) => !path.some((p) => sameCert(p, c)) && linkOf(current, c) === 'match');
    if (next) {
      path.push(next);
      continue;
    }
    if (isSelfIssued(current)) throw new UnknownRootError('self-signed certificate is not a trusted root', ref(current, depth));
    const conflict = [...input.roots, ...(input.intermediates ?? [])].find((c) => linkOf(current, c) === 'conflict');
    if (conflict) {
      throw new NameChainingError(`issued by the key of '${conflict.subjectText}' but names '${current.issuerText}' as its issuer`, ref(current, depth));
    }
    const keyId = current.extensions.authorityKeyId ? ` with key id ${current.extensions.authorityKeyId}` : '';
    throw new UnknownRootError(`issuer '${current.issuerText}'${keyId} is neither a trusted root nor in the chain`, ref(current, depth));
  }
}

function checkSignature(cert: ParsedCertificate, issuer: ParsedCertificate, at: CertificateRef): void {
  const inner = cert.innerSignatureAlgorithm;
  const outer = cert.signatureAlgorithm;
  if (inner.algorithm !== outer.algorithm || !inner.isEqual(outer)) {
    throw new SignatureInvalidError('the signed and unsigned signature algorithms differ', at);
  }
  if (!verifyTbs(issuer.publicKey, outer, cert.tbs, cert.signature)) {
    throw new SignatureInvalidError(`signature does not verify with the key of '${issuer.subjectText}'`, at);
  }
}

function checkValidity(cert: ParsedCertificate, time: Date, at: CertificateRef): void {
  if (time < cert.notBefore) throw new NotYetValidError(`not valid before ${cert.notBefore.toISOString()}`, at);
  if (time > cert.notAfter) throw new ExpiredError(`expired at ${cert.notAfter.toISOString()}`, at);
}

function checkRevocation(cert: ParsedCertificate, issuer: ParsedCertificate, input: ValidationInput, time: Date, at: CertificateRef): void {
  // Like issuers, CRLs belong to a CA by name and, where both carry one, by key identifier: the
  // CRL of a same-named CA of another network is not this CA's and is left aside.
  const ski = issuer.extensions.subjectKeyId;
  const crls = (input.crls ?? []).filter(
    (crl) => namesEqual(crl.issuer, issuer.subject) && (crl.authorityKeyId === undefined || ski === undefined || crl.authorityKeyId === ski),
  );
  if (crls.length === 0 && input.requireCrls) throw new CrlMissingError(`no CRL of '${issuer.subjectText}' was given`, at);
  for (const crl of crls) {
    const crlRef = { subject: `CRL of ${crl.issuerText}`, depth: at.depth };
    if (!crl.innerSignatureAlgorithm.isEqual(crl.signatureAlgorithm) || !verifyTbs(issuer.publicKey, crl.signatureAlgorithm, crl.tbs, crl.signature)) {
      throw new CrlInvalidError(`signature does not verify with the key of '${issuer.subjectText}'`, crlRef);
    }
    if (issuer.extensions.keyUsage !== undefined && !(issuer.extensions.keyUsage & KeyUsageFlags.cRLSign)) {
      throw new CrlInvalidError(`'${issuer.subjectText}' has no cRLSign key usage`, crlRef);
    }
    if (time < crl.thisUpdate) throw new CrlInvalidError(`not valid before ${crl.thisUpdate.toISOString()}`, crlRef);
    if (crl.nextUpdate && time > crl.nextUpdate) throw new CrlInvalidError(`expired at ${crl.nextUpdate.toISOString()}`, crlRef);
    const entry = crl.revoked.find((e) => e.serial === cert.serial);
    // Like OpenSSL, a listed serial is revoked whatever its revocation date: a key compromised
    // "later" may well have been compromised earlier.
    if (entry) {
      throw new RevokedError(`revoked at ${entry.revocationDate.toISOString()} (serial ${cert.serial})`, at);
    }
  }
}

/** The checks on a certificate that issues the next one down the path. */
function checkIssuer(cert: ParsedCertificate, at: CertificateRef): void {
  if (!cert.extensions.basicConstraints?.ca) throw new NotACaError('issued a certificate but is not a CA (basicConstraints CA:TRUE missing)', at);
  const usage = cert.extensions.keyUsage;
  if (usage !== undefined && !(usage & KeyUsageFlags.keyCertSign)) throw new KeyUsageError('issued a certificate but its keyUsage lacks keyCertSign', at);
}

function checkPurpose(leaf: ParsedCertificate, purpose: Purpose, at: CertificateRef): void {
  const eku = leaf.extensions.extKeyUsage;
  if (purpose === 'any' || eku === undefined || eku.includes(ANY_EKU)) return;
  const wanted = purpose === 'server' ? id_kp_serverAuth : id_kp_clientAuth;
  if (!eku.includes(wanted)) throw new PurposeError(`extKeyUsage does not allow ${purpose} authentication`, at);
}

/** Validates `input.leaf` up to one of `input.roots`; throws the first failed check, top down. */
export function validateChain(input: ValidationInput): ValidationResult {
  const time = input.at ?? new Date();
  const path = buildPath(input);
  const top = path.length - 1;
  let maxPath = Number.POSITIVE_INFINITY;
  for (let depth = top; depth >= 0; depth--) {
    const cert = path[depth] as ParsedCertificate;
    const at = ref(cert, depth);
    const issuer = depth === top ? cert : (path[depth + 1] as ParsedCertificate);
    if (depth !== top && linkOf(cert, issuer) !== 'match') throw new NameChainingError(`issuer does not match '${issuer.subjectText}'`, at);
    if (depth !== top || isSelfIssued(cert)) checkSignature(cert, issuer, at);
    checkValidity(cert, time, at);
    if (depth !== top) checkRevocation(cert, issuer, input, time, at);
    const [unknown] = cert.extensions.unknownCritical;
    if (unknown !== undefined) throw new UnknownCriticalExtensionError(`unknown critical extension ${unknown}`, at);
    if (depth > 0) {
      checkIssuer(cert, at);
      if (depth !== top) {
        if (maxPath <= 0) throw new PathLengthError('exceeds the path length constraint of a CA above it', at);
        maxPath--;
      }
      const pathLen = cert.extensions.basicConstraints?.pathLen;
      if (pathLen !== undefined) maxPath = Math.min(maxPath, pathLen);
    }
  }
  checkPurpose(input.leaf, input.purpose ?? 'any', ref(input.leaf, 0));
  const identity = input.leaf.extensions.identity;
  return { path, root: path[top] as ParsedCertificate, ...(identity && { identity }) };
}
