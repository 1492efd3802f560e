import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import {
  Certificate,
  CertificateList,
  CRLNumber,
  CRLReason,
  CRLReasons,
  Extension,
  Extensions,
  Name,
  RevokedCertificate,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import type { PrivateKey } from '../crypto/index.js';
import { signatureAlgorithm, signTbs, spkiOfPublicKey, verifyTbs } from './algorithms.js';
import { CsrSignatureError } from './errors.js';
import { authorityKeyIdExt } from './extensions.js';
import { parseCertificateDer, parseCrlDer, parseCsrDer, type ParsedCertificate, type ParsedCrl, type ParsedCsr } from './parse.js';

/** Construction and signing of certificates, CSRs and CRLs: the issuing half of the PKI. */

const ab = (data: Uint8Array): ArrayBuffer => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. An identifier, not a security property. */
export function keyIdOf(spki: SubjectPublicKeyInfo): Uint8Array {
  return createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
}

/** 16 random bytes, positive and exactly 16 long: top bit clear (positive), next bit set (no leading zero). */
export function randomSerial(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial;
}

export interface CertificateTemplate {
  readonly subject: Name;
  readonly subjectSpki: SubjectPublicKeyInfo;
  readonly issuer: Name;
  readonly issuerKey: PrivateKey;
  /** The issuer's subjectKeyIdentifier, put in the authorityKeyIdentifier. */
  readonly issuerKeyId: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Everything but the authorityKeyIdentifier, which is added here. */
  readonly extensions: readonly Extension[];
  readonly serial?: Uint8Array;
}

export function signCertificate(template: CertificateTemplate): ParsedCertificate {
  const algorithm = signatureAlgorithm(template.issuerKey.suite);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: ab(template.serial ?? randomSerial()),
    signature: algorithm,
    issuer: template.issuer,
    validity: new Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: template.subjectSpki,
    extensions: new Extensions([...template.extensions, authorityKeyIdExt(template.issuerKeyId)]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = signTbs(template.issuerKey, tbsDer);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: ab(signature) });
  return parseCertificateDer(new Uint8Array(AsnConvert.serialize(cert)));
}

/** A PKCS#10 request signed by the key it certifies, with an empty attribute set. */
export function createCsr(subject: Name, privateKey: PrivateKey): ParsedCsr {
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: spkiOfPublicKey(privateKey.publicKey),
    attributes: new Attributes(),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: signatureAlgorithm(privateKey.suite),
    signature: ab(signTbs(privateKey, infoDer)),
  });
  return parseCsrDer(new Uint8Array(AsnConvert.serialize(csr)));
}

/** Throws CsrSignatureError unless the CSR is signed by the key it carries. */
export function verifyCsr(csr: ParsedCsr): void {
  if (!verifyTbs(csr.publicKey, csr.signatureAlgorithm, csr.info, csr.signature)) {
    throw new CsrSignatureError(`the signature of the certificate request for '${csr.subjectText}' does not verify`);
  }
}

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface CrlEntry {
  /** Lower-case hex, as in ParsedCertificate.serial. */
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason?: RevocationReason;
}

export interface CrlTemplate {
  readonly issuer: Name;
  readonly issuerKey: PrivateKey;
  readonly issuerKeyId: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: number;
  readonly entries: readonly CrlEntry[];
}

function serialBytes(hex: string): Uint8Array {
  const raw = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  // Serials are stored as magnitudes; a set top bit needs the 0x00 sign octet back.
  return (raw[0] ?? 0) & 0x80 ? Buffer.concat([Uint8Array.of(0), raw]) : raw;
}

/** An X.509 v2 CRL with cRLNumber and authorityKeyIdentifier; entries carry a reason code when known. */
export function signCrl(template: CrlTemplate): ParsedCrl {
  const algorithm = signatureAlgorithm(template.issuerKey.suite);
  const revoked = template.entries.map(
    (entry) =>
      new RevokedCertificate({
        userCertificate: ab(serialBytes(entry.serial)),
        revocationDate: new Time(entry.revokedAt),
        ...(entry.reason &&
          entry.reason !== 'unspecified' && {
            crlEntryExtensions: [
              new Extension({
                extnID: id_ce_cRLReasons,
                critical: false,
                extnValue: new OctetString(AsnConvert.serialize(new CRLReason(CRLReasons[entry.reason]))),
              }),
            ],
          }),
      }),
  );
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: algorithm,
    issuer: template.issuer,
    thisUpdate: new Time(template.thisUpdate),
    nextUpdate: new Time(template.nextUpdate),
    // RFC 5280 §5.1.2.6: omit the list, rather than send an empty one, when nothing is revoked.
    ...(revoked.length > 0 && { revokedCertificates: revoked }),
    crlExtensions: [
      authorityKeyIdExt(template.issuerKeyId),
      new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(template.crlNumber))) }),
    ],
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const crl = new CertificateList({ tbsCertList: tbs, signatureAlgorithm: algorithm, signature: ab(signTbs(template.issuerKey, tbsDer)) });
  return parseCrlDer(new Uint8Array(AsnConvert.serialize(crl)));
}
