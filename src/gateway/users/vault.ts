import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { aes256GcmDecrypt, aes256GcmEncrypt } from '../../crypto/aead.js';
import type { GatewaySublevel } from '../store.js';
import { VaultSecretError, VaultUnsealError } from './errors.js';

/*
 * Hosted private keys at rest. One 32-byte key is derived from the operator's secret with scrypt
 * under a random salt kept in the store; every hosted key is sealed with AES-256-GCM under it,
 * with the owner (app, user, kind of key) as associated data, so a sealed key copied onto another
 * user's record does not open. The plain key is never written: only `v1.<base64 sealed>`.
 */

const META_KEY = 'vault';
const CHECK_LABEL = 'bsn/gateway-vault/check/v1';
/** 2^15 × 8 × 128 bytes = 32 MiB of scrypt memory, ~0.1 s once at start. */
const DEFAULT_SCRYPT_N = 1 << 15;

interface VaultMeta {
  readonly v: 1;
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** HMAC-SHA256(derived key, CHECK_LABEL), hex: tells a wrong secret at start, not at first use. */
  readonly check: string;
}

function derive(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(secret, salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

const checkOf = (key: Buffer): string => createHmac('sha256', key).update(CHECK_LABEL).digest('hex');

export class HostedKeyVault {
  private constructor(private readonly key: Buffer) {}

  /** Opens the vault of a store (making its salt on first use); VaultSecretError when `secret` is not the store's. */
  static async open(sublevel: GatewaySublevel, secret: string, options: { scryptN?: number } = {}): Promise<HostedKeyVault> {
    if (secret.length === 0) throw new VaultSecretError('the vault secret is empty');
    const stored = await sublevel.get(META_KEY);
    if (stored !== undefined) {
      const meta = JSON.parse(stored) as VaultMeta;
      const key = await derive(secret, Buffer.from(meta.salt, 'base64'), meta);
      if (!timingSafeEqual(Buffer.from(checkOf(key), 'hex'), Buffer.from(meta.check, 'hex'))) {
        throw new VaultSecretError('the vault secret does not open the hosted keys of this gateway store');
      }
      return new HostedKeyVault(key);
    }
    const params = { N: options.scryptN ?? DEFAULT_SCRYPT_N, r: 8, p: 1 };
    const salt = randomBytes(16);
    const key = await derive(secret, salt, params);
    const meta: VaultMeta = { v: 1, salt: salt.toString('base64'), ...params, check: checkOf(key) };
    await sublevel.put(META_KEY, JSON.stringify(meta));
    return new HostedKeyVault(key);
  }

  /** `owner` names what the key belongs to (e.g. `app/user/cert`); the same string opens it. */
  seal(plaintext: Uint8Array, owner: string): string {
    return `v1.${Buffer.from(aes256GcmEncrypt(this.key, plaintext, Buffer.from(owner, 'utf8'))).toString('base64')}`;
  }

  unseal(sealed: string, owner: string): Uint8Array {
    if (!sealed.startsWith('v1.')) throw new VaultUnsealError(`the hosted key of ${owner} is not in a known sealed format`);
    try {
      return aes256GcmDecrypt(this.key, Buffer.from(sealed.slice(3), 'base64'), Buffer.from(owner, 'utf8'));
    } catch (cause) {
      throw new VaultUnsealError(`the hosted key of ${owner} does not decrypt`, { cause });
    }
  }
}
