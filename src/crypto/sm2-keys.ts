import type { PrivateKey, PublicKey } from './suite.js';
import { SuiteMismatchError } from './errors.js';
import { sm2Engine, type Sm2Point } from './sm2-core.js';

/*
 * SM2 key objects. The private scalar lives in a #private field so that it never shows up in
 * logs or util.inspect; only the operations that need it (sign, agree, PKCS#8 export) read it.
 *
 * A key that verifies again and again (a validator's votes) gets a precomputed window table for
 * its point, which makes verification ~4x faster (docs/crypto.md). A table costs ~300 KB and
 * ~20 ms to build, so it is built only after VERIFY_TABLE_AFTER verifications with the same key
 * object, and at most MAX_TABLES exist at once; a table lives as long as its key object. Once the
 * cap is reached further keys stay table-less (slower, never wrong) rather than evicting, which
 * would rebuild tables over and over for a set of keys larger than the cap.
 */
const VERIFY_TABLE_AFTER = 16;
const VERIFY_TABLE_WINDOW = 6;
const MAX_TABLES = 64;
const ZA_CACHE_IDS = 4;

let liveTables = 0;
const tableRegistry = new FinalizationRegistry<undefined>(() => {
  liveTables--;
});

export class Sm2PublicKey implements PublicKey {
  readonly suite = 'sm2' as const;
  readonly type = 'public' as const;
  /** SEC1 compressed point, 33 bytes. */
  readonly bytes: Uint8Array;
  readonly point: Sm2Point;
  #verifications = 0;
  #tablePoint: Sm2Point | undefined;
  readonly #za = new Map<string, Uint8Array>();

  /** `point` must already be validated (on the curve, not infinity). */
  constructor(point: Sm2Point) {
    this.point = point;
    this.bytes = point.toBytes(true);
  }

  /** Z_A of this key under signer ID `id`, cached: it only depends on the pair. */
  za(id: Uint8Array): Uint8Array {
    const cacheKey = Buffer.from(id).toString('latin1');
    let za = this.#za.get(cacheKey);
    if (!za) {
      if (this.#za.size >= ZA_CACHE_IDS) this.#za.clear();
      za = sm2Engine.za(id, this.point);
      this.#za.set(cacheKey, za);
    }
    return za;
  }

  /** The point to verify with: the same point, with a window table once the key is hot. */
  pointForVerification(): Sm2Point {
    if (this.#tablePoint) return this.#tablePoint;
    if (++this.#verifications < VERIFY_TABLE_AFTER || liveTables >= MAX_TABLES) return this.point;
    this.#tablePoint = sm2Engine.Point.fromAffine(this.point.toAffine()).precompute(VERIFY_TABLE_WINDOW, false);
    liveTables++;
    tableRegistry.register(this, undefined);
    return this.#tablePoint;
  }
}

export class Sm2PrivateKey implements PrivateKey {
  readonly suite = 'sm2' as const;
  readonly type = 'private' as const;
  readonly publicKey: Sm2PublicKey;
  readonly #d: bigint;
  readonly #factor: bigint;

  /** `d` must already be checked to lie in [1, n−2]. */
  constructor(d: bigint) {
    this.#d = d;
    this.#factor = sm2Engine.signingFactor(d);
    this.publicKey = new Sm2PublicKey(sm2Engine.Point.BASE.multiply(d));
  }

  signDigest(e: bigint): [bigint, bigint] {
    return sm2Engine.signDigest(this.#d, this.#factor, e);
  }

  /** x-coordinate of d·Q: plain ECDH on the SM2 curve, not the GB/T 32918.3 key exchange. */
  sharedX(peer: Sm2Point): Uint8Array {
    return peer.multiply(this.#d).toBytes(true).subarray(1);
  }

  /** The scalar as 32 big-endian bytes, for PKCS#8 export only. */
  scalarBytes(): Uint8Array {
    return Buffer.from(this.#d.toString(16).padStart(64, '0'), 'hex');
  }
}

export function asSm2Public(key: PublicKey): Sm2PublicKey {
  if (!(key instanceof Sm2PublicKey)) throw new SuiteMismatchError(`expected an sm2 public key, got ${key.suite}`);
  return key;
}

export function asSm2Private(key: PrivateKey): Sm2PrivateKey {
  if (!(key instanceof Sm2PrivateKey)) throw new SuiteMismatchError(`expected an sm2 private key, got ${key.suite}`);
  return key;
}
