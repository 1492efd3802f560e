import { randomBytes } from 'node:crypto';
import { weierstrass, type WeierstrassOpts, type WeierstrassPoint, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { sm3 } from './sm3.js';

/*
 * The SM2 digital signature algorithm of GB/T 32918.2 (GM/T 0003.2) on @noble/curves' generic
 * short-Weierstrass arithmetic. It is *not* ECDSA on the SM2 curve: the signer's identity enters
 * the digest through Z_A, and s = (1 + d)^-1 · (k − r·d).
 *
 * This module is the raw primitive (bigints in, bigints out). `sm2.ts` wraps it in the `Suite`
 * interface; the benchmark measures the two separately to price the wrapper.
 */

export type Sm2Point = WeierstrassPoint<bigint>;

/** The recommended 256-bit curve of GB/T 32918.5 (GM/T 0003.5), OID 1.2.156.10197.1.301. */
export const SM2_CURVE: WeierstrassOpts<bigint> = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** The signer ID everyone uses unless agreed otherwise (GM/T 0009): ASCII "1234567812345678". */
export const SM2_DEFAULT_ID: Uint8Array = new TextEncoder().encode('1234567812345678');

/** ENTL is a 16-bit count of ID bits, so an ID is at most 8191 bytes. */
export const SM2_MAX_ID_BYTES = 8191;

export interface Sm2Engine {
  readonly Point: WeierstrassPointCons<bigint>;
  readonly n: bigint;
  /** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A). */
  za(id: Uint8Array, publicPoint: Sm2Point): Uint8Array;
  /** e = SM3(Z_A || M) as an integer. */
  digest(za: Uint8Array, message: Uint8Array): bigint;
  /** (1 + d)^-1 mod n, which every signature by `d` needs; compute it once per key. */
  signingFactor(d: bigint): bigint;
  /** A signature [r, s] of digest `e` by key `d` with a fresh random k. */
  signDigest(d: bigint, factor: bigint, e: bigint): [bigint, bigint];
  /** Steps B1–B7 of the verification algorithm for digest `e`. */
  verifyDigest(publicPoint: Sm2Point, e: bigint, r: bigint, s: bigint): boolean;
  /**
   * Signs with a caller-chosen k. Only the published test vectors may call this: reusing or
   * predicting k reveals the private key.
   */
  unsafeSignDigestWithFixedK(d: bigint, factor: bigint, e: bigint, k: bigint): [bigint, bigint] | undefined;
}

/** An SM2 engine over any short-Weierstrass prime curve (the tests also run the GB/T 32918.2 example curve). */
export function createSm2Engine(curve: WeierstrassOpts<bigint>): Sm2Engine {
  const Point = weierstrass(curve);
  // A wider base table than noble's default (6): k·G in signing gets ~30% faster for ~1.1 MB and
  // ~70 ms once, at the first multiplication.
  Point.BASE.precompute(8);
  const { Fn } = Point;
  const n = curve.n;
  const size = Point.Fp.BYTES;
  const fe = (x: bigint) => numberToBytesBE(x, size);
  const curveBlock = Buffer.concat([fe(curve.a), fe(curve.b), fe(curve.Gx), fe(curve.Gy)]);

  function withK(d: bigint, factor: bigint, e: bigint, k: bigint): [bigint, bigint] | undefined {
    const x1 = Point.BASE.multiply(k).toAffine().x;
    const r = Fn.create(e + x1);
    if (r === 0n || r + k === n) return undefined;
    const s = Fn.mul(factor, Fn.sub(k, Fn.mul(r, d)));
    return s === 0n ? undefined : [r, s];
  }

  return {
    Point,
    n,
    za(id, publicPoint) {
      if (id.length > SM2_MAX_ID_BYTES) throw new RangeError(`SM2 ID of ${id.length} bytes exceeds ${SM2_MAX_ID_BYTES}`);
      const entl = Uint8Array.of((id.length * 8) >> 8, (id.length * 8) & 0xff);
      const { x, y } = publicPoint.toAffine();
      return sm3(entl, id, curveBlock, fe(x), fe(y));
    },
    digest: (za, message) => bytesToNumberBE(sm3(za, message)),
    signingFactor: (d) => Fn.inv(Fn.add(d, 1n)),
    signDigest(d, factor, e) {
      for (;;) {
        // 384 random bits reduced mod n−1: the bias is below 2^-128.
        const k = (bytesToNumberBE(randomBytes(48)) % (n - 1n)) + 1n;
        const signature = withK(d, factor, e, k);
        if (signature) return signature;
      }
    },
    verifyDigest(publicPoint, e, r, s) {
      if (!Fn.isValidNot0(r) || !Fn.isValidNot0(s)) return false;
      const t = Fn.add(r, s);
      if (t === 0n) return false;
      // s·G uses the base table; t·P uses the key's own table once it is hot (sm2-keys.ts), else a
      // plain wNAF walk. Both scalars are public here, so the variable-time paths are fine.
      const sum = Point.BASE.multiplyUnsafe(s).add(publicPoint.multiplyUnsafe(t));
      if (sum.is0()) return false;
      return Fn.create(e + sum.toAffine().x) === r;
    },
    unsafeSignDigestWithFixedK: withK,
  };
}

/** The engine on the recommended curve; what the `sm2` suite uses. */
export const sm2Engine: Sm2Engine = createSm2Engine(SM2_CURVE);
