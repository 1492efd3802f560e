import { isIP } from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';
import { readChildren, readSingle, readUtf8, sequence, tlv, TAG, utf8String } from './der.js';
import { DerError, IssuancePolicyError } from './errors.js';

/**
 * BSN's private extension: the role of a certificate and, when given, its org and app.
 * 1.3.6.1.4.1.32473 is IANA's enterprise number reserved for documentation (RFC 5612), used
 * here as a PROVISIONAL arc until BSN registers its own; only this constant changes then.
 *
 *   BsnIdentity ::= SEQUENCE { role UTF8String, org [0] IMPLICIT UTF8String OPTIONAL,
 *                              app [1] IMPLICIT UTF8String OPTIONAL }
 */
export const BSN_IDENTITY_OID = '1.3.6.1.4.1.32473.1.1';

export const ROLES = ['root-ca', 'operator-ca', 'node', 'org', 'user'] as const;
export type Role = (typeof ROLES)[number];

export interface BsnIdentity {
  readonly role: Role;
  readonly org?: string;
  readonly app?: string;
}

export { KeyUsageFlags, id_kp_clientAuth, id_kp_serverAuth };

function ext(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export function basicConstraintsExt(ca: boolean, pathLen?: number): Extension {
  return ext(id_ce_basicConstraints, true, new BasicConstraints(ca ? { cA: true, pathLenConstraint: pathLen } : {}));
}

export function keyUsageExt(flags: number): Extension {
  return ext(id_ce_keyUsage, true, new KeyUsage(flags));
}

export function extKeyUsageExt(purposes: string[]): Extension {
  return ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage(purposes));
}

export function subjectKeyIdExt(keyId: Uint8Array): Extension {
  return ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId));
}

export function authorityKeyIdExt(keyId: Uint8Array): Extension {
  return ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) }));
}

/** SANs from the command line: an IPv4/IPv6 literal becomes an iPAddress, anything else a dNSName. */
export function subjectAltNameExt(sans: readonly string[]): Extension {
  const names = sans.map((san) => {
    if (isIP(san)) return new GeneralName({ iPAddress: san });
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(san) || san.length > 253) {
      throw new IssuancePolicyError(`SAN '${san}' is neither an IP address nor a DNS name`);
    }
    return new GeneralName({ dNSName: san });
  });
  return ext(id_ce_subjectAltName, false, new SubjectAlternativeName(names));
}

export function bsnIdentityExt(identity: BsnIdentity): Extension {
  const parts = [utf8String(identity.role)];
  if (identity.org !== undefined) parts.push(tlv(0x80, Buffer.from(identity.org, 'utf8')));
  if (identity.app !== undefined) parts.push(tlv(0x81, Buffer.from(identity.app, 'utf8')));
  return new Extension({ extnID: BSN_IDENTITY_OID, critical: false, extnValue: new OctetString(sequence(...parts)) });
}

export function parseBsnIdentity(value: Uint8Array): BsnIdentity {
  const children = readChildren(readSingle(value, TAG.SEQUENCE));
  const role = readUtf8(children[0], 'BSN identity role');
  if (!(ROLES as readonly string[]).includes(role)) throw new DerError(`BSN identity has unknown role '${role}'`);
  let org: string | undefined;
  let app: string | undefined;
  for (const child of children.slice(1)) {
    const text = readUtf8({ tag: TAG.UTF8_STRING, content: child.content }, 'BSN identity field');
    if (child.tag === 0x80 && org === undefined && app === undefined) org = text;
    else if (child.tag === 0x81 && app === undefined) app = text;
    else throw new DerError('BSN identity has an unexpected field');
  }
  return { role: role as Role, ...(org !== undefined && { org }), ...(app !== undefined && { app }) };
}

/** What BSN reads out of a certificate's extensions. */
export interface CertificateExtensions {
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** KeyUsageFlags bits; undefined when the extension is absent. */
  keyUsage?: number;
  extKeyUsage?: string[];
  subjectKeyId?: string;
  authorityKeyId?: string;
  san: { dns: string[]; ip: string[] };
  identity?: BsnIdentity;
  /** OIDs of critical extensions this code does not understand. */
  unknownCritical: string[];
}

function parseAs<T>(value: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(value, type);
  } catch (cause) {
    throw new DerError(`malformed ${what} extension`, { cause });
  }
}

const hex = (octets: OctetString): string => Buffer.from(new Uint8Array(octets.buffer)).toString('hex');

export function readExtensions(extensions: readonly Extension[] | undefined): CertificateExtensions {
  const out: CertificateExtensions = { san: { dns: [], ip: [] }, unknownCritical: [] };
  const seen = new Set<string>();
  for (const extension of extensions ?? []) {
    if (seen.has(extension.extnID)) throw new DerError(`extension ${extension.extnID} appears twice`);
    seen.add(extension.extnID);
    const value = new Uint8Array(extension.extnValue.buffer);
    readOne(out, extension, value);
  }
  return out;
}

function readOne(out: CertificateExtensions, extension: Extension, value: Uint8Array): void {
  switch (extension.extnID) {
    case id_ce_basicConstraints: {
      const bc = parseAs(value, BasicConstraints, 'basicConstraints');
      out.basicConstraints = { ca: bc.cA, ...(bc.pathLenConstraint !== undefined && { pathLen: bc.pathLenConstraint }) };
      return;
    }
    case id_ce_keyUsage:
      out.keyUsage = parseAs(value, KeyUsage, 'keyUsage').toNumber();
      return;
    case id_ce_extKeyUsage:
      out.extKeyUsage = [...parseAs(value, ExtendedKeyUsage, 'extKeyUsage')];
      return;
    case id_ce_subjectKeyIdentifier:
      out.subjectKeyId = hex(parseAs(value, SubjectKeyIdentifier, 'subjectKeyIdentifier'));
      return;
    case id_ce_authorityKeyIdentifier: {
      const aki = parseAs(value, AuthorityKeyIdentifier, 'authorityKeyIdentifier');
      if (aki.keyIdentifier) out.authorityKeyId = hex(aki.keyIdentifier);
      return;
    }
    case id_ce_subjectAltName:
      for (const name of parseAs(value, SubjectAlternativeName, 'subjectAltName')) {
        if (name.dNSName !== undefined) out.san.dns.push(name.dNSName);
        if (name.iPAddress !== undefined) out.san.ip.push(name.iPAddress);
      }
      return;
    case BSN_IDENTITY_OID:
      out.identity = parseBsnIdentity(value);
      return;
    default:
      if (extension.critical) out.unknownCritical.push(extension.extnID);
  }
}

