import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { PrivateKey, PublicKey, SuiteName } from './suite.js';
import { InvalidKeyError, SuiteMismatchError } from './errors.js';

/** Keys of the suites that node:crypto runs natively keep their KeyObject for speed. */
export class NodePublicKey implements PublicKey {
  readonly type = 'public' as const;
  constructor(
    readonly suite: SuiteName,
    readonly bytes: Uint8Array,
    readonly keyObject: KeyObject,
  ) {}
}

export class NodePrivateKey implements PrivateKey {
  readonly type = 'private' as const;
  constructor(
    readonly suite: SuiteName,
    readonly keyObject: KeyObject,
    readonly publicKey: NodePublicKey,
  ) {}
}

export function asNodePublic(suite: SuiteName, key: PublicKey): NodePublicKey {
  if (key.suite !== suite || !(key instanceof NodePublicKey)) {
    throw new SuiteMismatchError(`expected a ${suite} public key, got ${key.suite}`);
  }
  return key;
}

export function asNodePrivate(suite: SuiteName, key: PrivateKey): NodePrivateKey {
  if (key.suite !== suite || !(key instanceof NodePrivateKey)) {
    throw new SuiteMismatchError(`expected a ${suite} private key, got ${key.suite}`);
  }
  return key;
}

export function parsePrivatePem(pem: string, label: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new InvalidKeyError(`not a PKCS#8 PEM ${label} private key`, { cause });
  }
}

export function parsePublicPem(pem: string, label: string): KeyObject {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new InvalidKeyError(`not an SPKI PEM ${label} public key`, { cause });
  }
}
