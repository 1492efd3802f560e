import { randomBytes } from 'node:crypto';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import type { KeyPair, PrivateKey, PublicKey, Suite } from './suite.js';
import { InvalidKeyError } from './errors.js';
import { sm2Engine, SM2_DEFAULT_ID, SM2_MAX_ID_BYTES } from './sm2-core.js';
import { asSm2Private, asSm2Public, Sm2PrivateKey, Sm2PublicKey } from './sm2-keys.js';
import { exportSm2PrivatePem, exportSm2PublicPem, importSm2PrivatePem, importSm2PublicPem, sm2PointFromBytes } from './sm2-pem.js';
import { sm3 } from './sm3.js';
import { sm4CtrHmacDecrypt, sm4CtrHmacEncrypt } from './sm4.js';

export { SM2_DEFAULT_ID } from './sm2-core.js';

function randomPrivateKey(): Sm2PrivateKey {
  // 384 random bits reduced into [1, n−2]; the bias is below 2^-128.
  const d = (bytesToNumberBE(randomBytes(48)) % (sm2Engine.n - 2n)) + 1n;
  return new Sm2PrivateKey(d);
}

/**
 * The `sm2` suite with signer ID `id`: GB/T 32918.2 signatures over SM3(Z_A || M), SM3 hashing,
 * SM4-CTR + HMAC-SM3 encryption (see sm4.ts). Signatures are r || s, 64 bytes; public key bytes
 * are the SEC1 compressed point, 33 bytes. `agree` is plain ECDH on the SM2 curve (the x
 * coordinate), not the GB/T 32918.3 key exchange protocol.
 *
 * Keys are shared by every ID: the ID only enters Z_A. Signer and verifier must agree on it.
 */
export function sm2WithId(id: Uint8Array): Suite {
  if (id.length > SM2_MAX_ID_BYTES) throw new InvalidKeyError(`an SM2 signer ID is at most ${SM2_MAX_ID_BYTES} bytes, got ${id.length}`);
  const signerId = Uint8Array.from(id);

  return {
    name: 'sm2',
    hashName: 'sm3',
    hashLength: 32,
    signatureLength: 64,
    symmetricKeyLength: 16,

    generateKeyPair(): KeyPair {
      const privateKey = randomPrivateKey();
      return { privateKey, publicKey: privateKey.publicKey };
    },
    hash: (data) => sm3(data),
    sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array {
      const key = asSm2Private(privateKey);
      const [r, s] = key.signDigest(sm2Engine.digest(key.publicKey.za(signerId), message));
      return Buffer.concat([numberToBytesBE(r, 32), numberToBytesBE(s, 32)]);
    },
    verify(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      const key = asSm2Public(publicKey);
      if (signature.length !== 64) return false;
      const r = bytesToNumberBE(signature.subarray(0, 32));
      const s = bytesToNumberBE(signature.subarray(32));
      const e = sm2Engine.digest(key.za(signerId), message);
      return sm2Engine.verifyDigest(key.pointForVerification(), e, r, s);
    },
    exportPrivateKeyPem: (key) => exportSm2PrivatePem(asSm2Private(key)),
    importPrivateKeyPem: importSm2PrivatePem,
    exportPublicKeyPem: (key) => exportSm2PublicPem(asSm2Public(key)),
    importPublicKeyPem: importSm2PublicPem,
    importPublicKeyBytes: (bytes) => new Sm2PublicKey(sm2PointFromBytes(bytes)),
    encrypt: sm4CtrHmacEncrypt,
    decrypt: sm4CtrHmacDecrypt,
    agree: (privateKey, peer) => asSm2Private(privateKey).sharedX(asSm2Public(peer).point),
  };
}

/** SM2 with the standard signer ID "1234567812345678" (GM/T 0009). */
export const sm2: Suite = sm2WithId(SM2_DEFAULT_ID);
