import { BsnError } from '../../errors.js';
import { namesEqual, parseCertificatesPem, PkiError, validateChain, type ParsedCertificate, type Role } from '../../pki/index.js';
import { GovInvalidArgumentError, GovOperatorNotAdmittedError, GovUnknownSignerError } from './errors.js';
import type { GovState } from './state.js';
import type { OperatorRecord } from './types.js';

/*
 * Who a certificate is on the governance chain. Every check is deterministic: the time is the
 * block's, the trust anchors and revocations are the registry's (never a CRL file or the clock).
 */

const parsed = new Map<string, ParsedCertificate>();
const PARSE_CACHE_LIMIT = 1024;

/** Parses a PEM certificate, the first of a bundle (cached: the registry's certificates are parsed again and again). */
export function certOf(pem: string, what = 'certificate'): ParsedCertificate {
  const hit = parsed.get(pem);
  if (hit) return hit;
  let cert: ParsedCertificate;
  try {
    // A chain file (leaf first, then its CA) is accepted: the first certificate is the one meant.
    const first = parseCertificatesPem(pem)[0];
    if (first === undefined) throw new GovInvalidArgumentError(`${what}: no certificate in the PEM text`);
    cert = first;
  } catch (cause) {
    if (cause instanceof PkiError) throw new GovInvalidArgumentError(`${what}: ${cause.message}`, { cause });
    throw cause;
  }
  if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
  parsed.set(pem, cert);
  return cert;
}

export const rootOf = (state: GovState): ParsedCertificate => certOf(state.globals.rootCertPem, 'root certificate');

/** The operator whose CA issued `cert` (by name and key id), among `operators`. */
export function issuingOperator(cert: ParsedCertificate, operators: readonly OperatorRecord[]): OperatorRecord | undefined {
  return operators.find((o) => {
    const ca = certOf(o.caCertPem);
    const aki = cert.extensions.authorityKeyId;
    const ski = ca.extensions.subjectKeyId;
    return namesEqual(cert.issuer, ca.subject) && (aki === undefined || ski === undefined || aki === ski);
  });
}

/**
 * Validates `cert` up to the registry's root at `time`, through `via` (an operator CA) when it is
 * a leaf; refuses a revoked certificate anywhere on the path. Throws `fail(message)`.
 */
function validate(state: GovState, cert: ParsedCertificate, via: OperatorRecord | undefined, time: number, fail: (m: string, cause?: unknown) => BsnError): void {
  const intermediates = via ? [certOf(via.caCertPem)] : [];
  let path: readonly ParsedCertificate[];
  try {
    path = validateChain({ roots: [rootOf(state)], intermediates, leaf: cert, at: new Date(time) }).path;
  } catch (cause) {
    if (cause instanceof PkiError) throw fail(`'${cert.subjectText}': ${cause.message}`, cause);
    throw cause;
  }
  const revoked = path.find((c) => state.isRevoked(c.fingerprint));
  if (revoked) throw fail(`'${revoked.subjectText}' was revoked on the governance chain`);
}

/** A leaf of `role` issued by an active, admitted operator: valid at `time`, not revoked. */
export function checkLeaf(state: GovState, cert: ParsedCertificate, role: Role, time: number): OperatorRecord {
  const operator = issuingOperator(cert, state.activeOperators());
  if (!operator) throw new GovOperatorNotAdmittedError(`'${cert.subjectText}' is issued by '${cert.issuerText}', not an active admitted operator`);
  const actual = cert.extensions.identity?.role;
  if (actual !== role) throw new GovInvalidArgumentError(`'${cert.subjectText}' has role ${actual ?? 'none'}, a ${role} certificate is needed`);
  validate(state, cert, operator, time, (m, cause) => new GovInvalidArgumentError(m, { cause }));
  return operator;
}

/** An operator CA certificate signed by the root, valid at `time`, not revoked. */
export function checkOperatorCa(state: GovState, cert: ParsedCertificate, time: number): void {
  if (cert.extensions.identity?.role !== 'operator-ca' || !cert.extensions.basicConstraints?.ca) {
    throw new GovInvalidArgumentError(`'${cert.subjectText}' is not an operator CA certificate`);
  }
  validate(state, cert, undefined, time, (m, cause) => new GovInvalidArgumentError(m, { cause }));
}

export interface Signer {
  /** The voter name: 'authority', an operator's name or an org's. */
  readonly name: string;
  readonly fingerprint: string;
}

/**
 * The registered identity of a signer certificate: the authority, an operator (its CA or an
 * admin), or an active org; its chain must hold at `time` through an active operator.
 */
export function signerOf(state: GovState, cert: ParsedCertificate, time: number): Signer {
  const fp = cert.fingerprint;
  const fail = (m: string, cause?: unknown) => new GovUnknownSignerError(m, { cause });
  const active = state.activeOperators();
  const asCa = active.find((o) => o.caFingerprint === fp);
  if (asCa) {
    validate(state, cert, undefined, time, fail);
    return { name: asCa.name, fingerprint: fp };
  }
  let name: string | undefined;
  if (fp === state.globals.authority.fingerprint) name = 'authority';
  else name = active.find((o) => o.admins.includes(fp))?.name ?? [...state.maps.org.values()].find((o) => o.status === 'active' && o.fingerprint === fp)?.name;
  if (name === undefined) throw fail(`'${cert.subjectText}' (${fp}) is not the authority, an operator or an active org`);
  const via = issuingOperator(cert, active);
  if (!via) throw fail(`'${cert.subjectText}' is not issued by an active operator`);
  validate(state, cert, via, time, fail);
  return { name, fingerprint: fp };
}
