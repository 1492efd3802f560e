/**
 * The one interface behind which every cryptographic algorithm of BSN lives. A network picks a
 * suite by name; consensus, PKI, the chain and the gateway only ever talk to `Suite`.
 */
export type SuiteName = 'ecdsa-p256' | 'ed25519' | 'secp256k1' | 'sm2';

export const SUITE_NAMES: readonly SuiteName[] = ['ecdsa-p256', 'ed25519', 'secp256k1', 'sm2'];

/** A public key of one suite. `bytes` is the suite's canonical raw encoding (see each suite). */
export interface PublicKey {
  readonly suite: SuiteName;
  readonly type: 'public';
  readonly bytes: Uint8Array;
}

/** A private key of one suite; opaque outside the suite that made it. */
export interface PrivateKey {
  readonly suite: SuiteName;
  readonly type: 'private';
  readonly publicKey: PublicKey;
}

export interface KeyPair {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
}

export interface Suite {
  readonly name: SuiteName;
  /** Name of the suite's hash: 'sha256', 'keccak256' or 'sm3'. */
  readonly hashName: string;
  /** Bytes of a digest of `hash`. */
  readonly hashLength: number;
  /** Bytes of a signature returned by `sign` (fixed per suite). */
  readonly signatureLength: number;
  /** Bytes of a key for `encrypt`/`decrypt`. */
  readonly symmetricKeyLength: number;

  generateKeyPair(): KeyPair;
  hash(data: Uint8Array): Uint8Array;

  /** Signs `message` (the suite hashes it as its standard prescribes). Returns fixed-size bytes. */
  sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array;
  /** False for a wrong or malformed signature; throws only for a key of another suite. */
  verify(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean;

  exportPrivateKeyPem(privateKey: PrivateKey): string; // PKCS#8
  importPrivateKeyPem(pem: string): PrivateKey;
  exportPublicKeyPem(publicKey: PublicKey): string; // SPKI
  importPublicKeyPem(pem: string): PublicKey;
  /** The inverse of `PublicKey.bytes`; rejects points not on the curve. */
  importPublicKeyBytes(bytes: Uint8Array): PublicKey;

  /** Authenticated symmetric encryption; output carries its own nonce and tag. */
  encrypt(key: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array, associatedData?: Uint8Array): Uint8Array;

  /** Shared secret by key agreement (ECDH/X25519-style), where the suite has one. */
  agree?(privateKey: PrivateKey, peer: PublicKey): Uint8Array;
}

/** Extra operations of suites whose signatures carry a recovery id (Ethereum's secp256k1). */
export interface RecoverableSuite extends Suite {
  /** Signs a 32-byte digest; returns r(32) || s(32) || v(1), v ∈ {0,1}, s low. */
  signDigest(privateKey: PrivateKey, digest: Uint8Array): Uint8Array;
  /** The public key that made `signature` over `digest`; throws InvalidSignatureError. */
  recover(digest: Uint8Array, signature: Uint8Array): PublicKey;
}
