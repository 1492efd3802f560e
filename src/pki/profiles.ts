import { isIP } from 'node:net';
import type { Extension, Name } from '@peculiar/asn1-x509';
import type { SuiteName } from '../crypto/index.js';
import { keyAgreementCapable } from './algorithms.js';
import { IssuancePolicyError } from './errors.js';
import {
  basicConstraintsExt,
  bsnIdentityExt,
  extKeyUsageExt,
  id_kp_clientAuth,
  id_kp_serverAuth,
  keyUsageExt,
  KeyUsageFlags,
  subjectAltNameExt,
  subjectKeyIdExt,
  type BsnIdentity,
} from './extensions.js';
import { buildName, checkNameValue, type NameAttribute } from './name.js';

/**
 * Certificate profiles: which subject and extensions each kind of BSN certificate gets. This
 * table is the contract documented in docs/pki.md ("Certificate profiles").
 */

export type LeafKind = 'node' | 'org' | 'user';
export const LEAF_KINDS: readonly LeafKind[] = ['node', 'org', 'user'];

/** Root → operator CA → leaf: the root allows one CA below it, operators none. */
export const ROOT_PATH_LEN = 1;
export const OPERATOR_PATH_LEN = 0;

export const DEFAULT_DAYS = { root: 7300, operator: 3650, leaf: 365, crl: 7 } as const;

export function caSubject(name: string): Name {
  return buildName([{ type: 'CN', value: name }]);
}

export function rootExtensions(keyId: Uint8Array): Extension[] {
  return [
    basicConstraintsExt(true, ROOT_PATH_LEN),
    keyUsageExt(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign),
    subjectKeyIdExt(keyId),
    bsnIdentityExt({ role: 'root-ca' }),
  ];
}

export function operatorExtensions(keyId: Uint8Array): Extension[] {
  return [
    basicConstraintsExt(true, OPERATOR_PATH_LEN),
    keyUsageExt(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign),
    subjectKeyIdExt(keyId),
    bsnIdentityExt({ role: 'operator-ca' }),
  ];
}

export interface LeafRequest {
  readonly kind: LeafKind;
  readonly name: string;
  readonly org?: string;
  readonly app?: string;
  readonly sans?: readonly string[];
}

/** The subject of a leaf: O=<org> (if any), OU=<kind>, OU=app:<app> (if any), CN=<name>. */
export function leafSubject(request: LeafRequest): Name {
  const attributes: NameAttribute[] = [];
  if (request.org !== undefined) attributes.push({ type: 'O', value: request.org });
  attributes.push({ type: 'OU', value: request.kind });
  if (request.app !== undefined) attributes.push({ type: 'OU', value: `app:${request.app}` });
  attributes.push({ type: 'CN', value: request.name });
  return buildName(attributes);
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A node needs a SAN for TLS; without --san its name is used when it is a DNS name or IP. */
export function leafSans(request: LeafRequest): string[] {
  const sans = [...(request.sans ?? [])];
  if (request.kind === 'node' && sans.length === 0) {
    if (!isIP(request.name) && !DNS_NAME.test(request.name)) {
      throw new IssuancePolicyError(`node '${request.name}' needs --san (its name is not a DNS name or IP address)`);
    }
    sans.push(request.name);
  }
  return sans;
}

export function leafExtensions(request: LeafRequest, suite: SuiteName, keyId: Uint8Array): Extension[] {
  if (request.org !== undefined) checkNameValue('org', request.org);
  if (request.app !== undefined) checkNameValue('app', request.app);
  const identity: BsnIdentity = {
    role: request.kind,
    ...(request.org !== undefined && { org: request.org }),
    ...(request.app !== undefined && { app: request.app }),
  };
  let usage = KeyUsageFlags.digitalSignature;
  if (request.kind === 'node' && keyAgreementCapable(suite)) usage |= KeyUsageFlags.keyAgreement;
  if (request.kind !== 'node') usage |= KeyUsageFlags.nonRepudiation;
  const purposes = request.kind === 'node' ? [id_kp_serverAuth, id_kp_clientAuth] : [id_kp_clientAuth];
  const sans = leafSans(request);
  return [
    basicConstraintsExt(false),
    keyUsageExt(usage),
    extKeyUsageExt(purposes),
    ...(sans.length > 0 ? [subjectAltNameExt(sans)] : []),
    subjectKeyIdExt(keyId),
    bsnIdentityExt(identity),
  ];
}
