import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, Certificate, CertificateList, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { PublicKey, SuiteName } from '../crypto/index.js';
import { importSpki, suiteOfSpki } from './algorithms.js';
import { readSingle, readSmallInteger } from './der.js';
import { DerError, PkiError, UnsupportedAlgorithmError } from './errors.js';
import { readExtensions, type CertificateExtensions } from './extensions.js';
import { nameToString } from './name.js';
import { decodePem, decodePemAll } from './pem.js';

/**
 * Parsing of certificates, CSRs and CRLs into plain read-only views. Whatever the input bytes,
 * these functions either return a view whose every field was decoded or throw a PkiError: the
 * ASN.1 library's own exceptions never escape (see `guard`).
 */

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The to-be-signed bytes exactly as they appear in `der`: what the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: number;
  /** Lower-case hex of the serial number's content octets. */
  readonly serial: string;
  readonly innerSignatureAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly issuerText: string;
  readonly subjectText: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: SubjectPublicKeyInfo;
  readonly suite: SuiteName;
  readonly publicKey: PublicKey;
  readonly extensions: CertificateExtensions;
  /** SHA-256 of the DER, upper-case colon hex as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint: string;
}

export interface ParsedCsr {
  readonly der: Uint8Array;
  readonly info: Uint8Array;
  readonly subject: Name;
  readonly subjectText: string;
  readonly spki: SubjectPublicKeyInfo;
  readonly suite: SuiteName;
  readonly publicKey: PublicKey;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

export interface RevokedEntry {
  readonly serial: string;
  readonly revocationDate: Date;
}

export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly issuer: Name;
  readonly issuerText: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly innerSignatureAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly revoked: readonly RevokedEntry[];
  readonly crlNumber?: number;
  readonly authorityKeyId?: string;
}

/** Runs `fn`, turning anything that is not already a PkiError into a DerError about `what`. */
function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PkiError) throw err;
    if (err instanceof Error && 'code' in err && err.code === 'CRYPTO_UNKNOWN_SUITE') {
      throw new UnsupportedAlgorithmError(`${what}: ${err.message}`, { cause: err });
    }
    throw new DerError(`malformed ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

const bytes = (buffer: ArrayBuffer | undefined, what: string): Uint8Array => {
  if (!buffer) throw new DerError(`${what} is missing`);
  return new Uint8Array(buffer);
};

export const hexOf = (data: Uint8Array | ArrayBuffer): string => Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('hex');

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

function serialHex(serial: ArrayBuffer): string {
  const raw = new Uint8Array(serial);
  if (raw.length === 0) throw new DerError('empty serial number');
  return hexOf(raw.length > 1 && raw[0] === 0 ? raw.subarray(1) : raw);
}

export function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  return guard('certificate', () => {
    const cert = AsnConvert.parse(der, Certificate);
    if (cert.tbsCertificateRaw === undefined) throw new DerError('certificate has no to-be-signed part');
    const tbs = cert.tbsCertificate;
    const spki = tbs.subjectPublicKeyInfo;
    return {
      der,
      tbs: bytes(cert.tbsCertificateRaw, 'TBSCertificate'),
      version: tbs.version + 1,
      serial: serialHex(tbs.serialNumber),
      innerSignatureAlgorithm: tbs.signature,
      signatureAlgorithm: cert.signatureAlgorithm,
      signature: bytes(cert.signatureValue, 'signature'),
      issuer: tbs.issuer,
      subject: tbs.subject,
      issuerText: nameToString(tbs.issuer),
      subjectText: nameToString(tbs.subject),
      notBefore: tbs.validity.notBefore.getTime(),
      notAfter: tbs.validity.notAfter.getTime(),
      spki,
      suite: suiteOfSpki(spki),
      publicKey: importSpki(spki),
      extensions: readExtensions(tbs.extensions),
      fingerprint: fingerprintOf(der),
    };
  });
}

export function parseCsrDer(der: Uint8Array): ParsedCsr {
  return guard('certificate request', () => {
    const csr = AsnConvert.parse(der, CertificationRequest);
    const info = csr.certificationRequestInfo;
    return {
      der,
      info: bytes(csr.certificationRequestInfoRaw, 'CertificationRequestInfo'),
      subject: info.subject,
      subjectText: nameToString(info.subject),
      spki: info.subjectPKInfo,
      suite: suiteOfSpki(info.subjectPKInfo),
      publicKey: importSpki(info.subjectPKInfo),
      signatureAlgorithm: csr.signatureAlgorithm,
      signature: bytes(csr.signature, 'signature'),
    };
  });
}

export function parseCrlDer(der: Uint8Array): ParsedCrl {
  return guard('CRL', () => {
    const crl = AsnConvert.parse(der, CertificateList);
    const tbs = crl.tbsCertList;
    const parsed = readExtensions(tbs.crlExtensions);
    const numberExt = tbs.crlExtensions?.find((e) => e.extnID === '2.5.29.20');
    const crlNumber = numberExt ? readCrlNumber(new Uint8Array(numberExt.extnValue.buffer)) : undefined;
    return {
      der,
      tbs: bytes(crl.tbsCertListRaw, 'TBSCertList'),
      issuer: tbs.issuer,
      issuerText: nameToString(tbs.issuer),
      thisUpdate: tbs.thisUpdate.getTime(),
      ...(tbs.nextUpdate && { nextUpdate: tbs.nextUpdate.getTime() }),
      innerSignatureAlgorithm: tbs.signature,
      signatureAlgorithm: crl.signatureAlgorithm,
      signature: bytes(crl.signature, 'signature'),
      revoked: (tbs.revokedCertificates ?? []).map((entry) => ({
        serial: serialHex(entry.userCertificate),
        revocationDate: entry.revocationDate.getTime(),
      })),
      ...(crlNumber !== undefined && { crlNumber }),
      ...(parsed.authorityKeyId !== undefined && { authorityKeyId: parsed.authorityKeyId }),
    };
  });
}

function readCrlNumber(value: Uint8Array): number {
  return readSmallInteger(readSingle(value), 'cRLNumber');
}

const CERT_LABELS = ['CERTIFICATE'];

export function parseCertificatePem(text: string): ParsedCertificate {
  return parseCertificateDer(decodePem(text, CERT_LABELS).der);
}

/** All certificates of a PEM bundle (a chain file may hold several). */
export function parseCertificatesPem(text: string): ParsedCertificate[] {
  return decodePemAll(text, CERT_LABELS).map(parseCertificateDer);
}

export function parseCsrPem(text: string): ParsedCsr {
  return parseCsrDer(decodePem(text, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']).der);
}

export function parseCrlPem(text: string): ParsedCrl {
  return parseCrlDer(decodePem(text, ['X509 CRL']).der);
}

/** The SPKI as DER, e.g. to compare public keys. */
export function spkiDer(spki: SubjectPublicKeyInfo): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(spki));
}
