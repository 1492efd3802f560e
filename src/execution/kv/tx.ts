import {
  CodecError,
  decode,
  encode,
  expectArray,
  expectBytes,
  expectString,
  expectUint,
  ItemLimitError,
  StringLimitError,
  type CodecValue,
} from '../../codec/index.js';
import { ecdsaP256, getSuite, isLowS, SUITE_NAMES, UnknownSuiteError, type PrivateKey, type PublicKey, type Suite, type SuiteName } from '../../crypto/index.js';
import { BsnError } from '../../errors.js';
import { KvTxBadSignatureError, KvTxError, KvTxMalformedError, KvTxTooLargeError, KvTxWrongChainError } from './errors.js';

/*
 * The kv transaction, version 1. Canonical CBOR (src/codec) of a positional array:
 *
 *   [1, chainId, suite, publicKey, nonce, ops, signature]
 *     chainId    text, 1..128 bytes of UTF-8, no NUL
 *     suite      text, a suite name: 'ecdsa-p256' | 'ed25519' | 'secp256k1' | 'sm2'
 *     publicKey  bytes, the suite's raw public key (PublicKey.bytes)
 *     nonce      uint, the sender's next nonce: 0 for its first tx, then strictly +1
 *     ops        array of 1..64 ops, applied in order (a later op on the same key wins):
 *                  [0, key, value]  put     key 1..256 bytes, value 0..65536 bytes
 *                  [1, key]         delete
 *     signature  bytes, suite.signatureLength of them, by `suite.sign` over
 *                  utf8("bsn/kv/tx/v1\0" + chainId + "\0") || encode([1, chainId, suite, publicKey, nonce, ops])
 *
 * The domain prefix keeps a kv signature from meaning anything to another protocol or chain; the
 * NUL after chainId (which may not contain one) makes the prefix unambiguous. The sender's
 * address is the first 20 bytes of suite.hash(publicKey), as lowercase hex.
 */

export const KV_TX_VERSION = 1;
export const KV_TX_DOMAIN = 'bsn/kv/tx/v1\0';
const OP_PUT = 0;
const OP_DELETE = 1;
const MAX_CHAIN_ID_BYTES = 128;

export interface KvLimits {
  /** The whole encoded tx. */
  readonly maxTxBytes: number;
  readonly maxOps: number;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
}

export const KV_LIMITS: KvLimits = Object.freeze({ maxTxBytes: 1024 * 1024, maxOps: 64, maxKeyBytes: 256, maxValueBytes: 64 * 1024 });

export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array };

export interface KvTxBody {
  readonly chainId: string;
  readonly suite: SuiteName;
  readonly publicKey: Uint8Array;
  readonly nonce: number;
  readonly ops: readonly KvOp[];
}

export interface KvTx extends KvTxBody {
  readonly signature: Uint8Array;
}

/** A tx as the node sees it after decodeKvTx: structure checked, sender derived, signature not yet verified. */
export interface DecodedKvTx extends KvTx {
  readonly sender: string;
}

const utf8 = new TextEncoder();

function bodyValue(body: KvTxBody): CodecValue[] {
  const ops = body.ops.map((op): CodecValue => (op.type === 'put' ? [OP_PUT, op.key, op.value] : [OP_DELETE, op.key]));
  return [KV_TX_VERSION, body.chainId, body.suite, body.publicKey, body.nonce, ops];
}

/** The exact bytes a kv signature covers. */
export function kvSigningBytes(body: KvTxBody): Uint8Array {
  const prefix = utf8.encode(`${KV_TX_DOMAIN}${body.chainId}\0`);
  const encoded = encode(bodyValue(body));
  const out = new Uint8Array(prefix.length + encoded.length);
  out.set(prefix, 0);
  out.set(encoded, prefix.length);
  return out;
}

export function encodeKvTx(tx: KvTx): Uint8Array {
  return encode([...bodyValue(tx), tx.signature]);
}

/** The sender address of a public key: first 20 bytes of the suite's hash, lowercase hex. */
export function kvAddress(suite: Suite, publicKey: Uint8Array): string {
  return Buffer.from(suite.hash(publicKey).subarray(0, 20)).toString('hex');
}

/** Signs a body with the key whose public half it names; checks the body against `limits` first. */
export function signKvTx(body: KvTxBody, privateKey: PrivateKey, limits: KvLimits = KV_LIMITS): KvTx {
  if (privateKey.suite !== body.suite) throw new KvTxMalformedError(`a ${privateKey.suite} key cannot sign a ${body.suite} tx`);
  if (!Buffer.from(privateKey.publicKey.bytes).equals(body.publicKey)) throw new KvTxMalformedError('the body names another public key');
  checkBody(body, limits);
  const signature = getSuite(body.suite).sign(privateKey, kvSigningBytes(body));
  return { ...body, signature };
}

/** For clients: a signed, encoded kv tx. */
export function buildKvTx(params: { chainId: string; privateKey: PrivateKey; nonce: number; ops: readonly KvOp[] }, limits: KvLimits = KV_LIMITS): Uint8Array {
  const { chainId, privateKey, nonce, ops } = params;
  const body: KvTxBody = { chainId, suite: privateKey.suite, publicKey: privateKey.publicKey.bytes, nonce, ops };
  const bytes = encodeKvTx(signKvTx(body, privateKey, limits));
  if (bytes.length > limits.maxTxBytes) throw new KvTxTooLargeError(`tx of ${bytes.length} bytes exceeds ${limits.maxTxBytes}`);
  return bytes;
}

/**
 * Decodes a kv tx from untrusted bytes, strictly: only the canonical encoding within `limits`.
 * Every failure is a KvTxError (malformed or too large); the signature is not checked here.
 */
export function decodeKvTx(bytes: Uint8Array, limits: KvLimits = KV_LIMITS): DecodedKvTx {
  if (bytes.length > limits.maxTxBytes) throw new KvTxTooLargeError(`tx of ${bytes.length} bytes exceeds ${limits.maxTxBytes}`);
  try {
    const value = decode(bytes, {
      maxBytes: limits.maxTxBytes,
      maxDepth: 3,
      maxItems: Math.max(7, limits.maxOps),
      maxStringBytes: Math.max(limits.maxValueBytes, limits.maxKeyBytes, MAX_CHAIN_ID_BYTES, 1024),
    });
    return txFrom(value, limits);
  } catch (cause) {
    if (cause instanceof KvTxError) throw cause;
    if (cause instanceof ItemLimitError || cause instanceof StringLimitError) throw new KvTxTooLargeError(cause.message, { cause });
    if (cause instanceof CodecError || cause instanceof UnknownSuiteError) throw new KvTxMalformedError(cause.message, { cause });
    throw cause;
  }
}

function txFrom(value: CodecValue, limits: KvLimits): DecodedKvTx {
  const f = expectArray(value, '$', 7);
  const version = expectUint(f[0], '$.version');
  if (version !== KV_TX_VERSION) throw new KvTxMalformedError(`unsupported kv tx version ${version}`);
  const suiteName = expectString(f[2], '$.suite');
  if (!(SUITE_NAMES as readonly string[]).includes(suiteName)) throw new KvTxMalformedError(`unknown suite '${suiteName}'`);
  const suite = getSuite(suiteName);
  const publicKey = expectBytes(f[3], '$.publicKey');
  const tx: DecodedKvTx = {
    chainId: expectString(f[1], '$.chainId'),
    suite: suite.name,
    publicKey,
    nonce: expectUint(f[4], '$.nonce'),
    ops: expectArray(f[5], '$.ops').map((op, i) => opFrom(op, `$.ops[${i}]`)),
    signature: expectBytes(f[6], '$.signature'),
    sender: kvAddress(suite, publicKey),
  };
  if (tx.signature.length !== suite.signatureLength) {
    throw new KvTxMalformedError(`a ${suite.name} signature is ${suite.signatureLength} bytes, got ${tx.signature.length}`);
  }
  checkBody(tx, limits);
  return tx;
}

function opFrom(value: CodecValue | undefined, path: string): KvOp {
  const f = expectArray(value, path);
  const type = expectUint(f[0], `${path}[0]`);
  if (type === OP_PUT && f.length === 3) return { type: 'put', key: expectBytes(f[1], `${path}.key`), value: expectBytes(f[2], `${path}.value`) };
  if (type === OP_DELETE && f.length === 2) return { type: 'delete', key: expectBytes(f[1], `${path}.key`) };
  throw new KvTxMalformedError(`${path}: not a put [0, key, value] or a delete [1, key]`);
}

/** The rules of a body that encoding alone does not enforce. */
function checkBody(body: KvTxBody, limits: KvLimits): void {
  const chainIdBytes = utf8.encode(body.chainId).length;
  if (chainIdBytes === 0 || chainIdBytes > MAX_CHAIN_ID_BYTES || body.chainId.includes('\0')) {
    throw new KvTxMalformedError(`chain id must be 1..${MAX_CHAIN_ID_BYTES} bytes without NUL`);
  }
  if (!Number.isSafeInteger(body.nonce) || body.nonce < 0) throw new KvTxMalformedError(`nonce ${body.nonce} is not an unsigned safe integer`);
  if (body.ops.length === 0) throw new KvTxMalformedError('a kv tx needs at least one op');
  if (body.ops.length > limits.maxOps) throw new KvTxTooLargeError(`${body.ops.length} ops exceed ${limits.maxOps}`);
  for (const [i, op] of body.ops.entries()) {
    if (op.key.length === 0) throw new KvTxMalformedError(`op ${i}: empty key`);
    if (op.key.length > limits.maxKeyBytes) throw new KvTxTooLargeError(`op ${i}: key of ${op.key.length} bytes exceeds ${limits.maxKeyBytes}`);
    if (op.type === 'put' && op.value.length > limits.maxValueBytes) {
      throw new KvTxTooLargeError(`op ${i}: value of ${op.value.length} bytes exceeds ${limits.maxValueBytes}`);
    }
  }
}

/**
 * Parsed public keys by suite and bytes. Parsing a key (a KeyObject from DER, a point
 * decompression) costs more than verifying a signature with it, and a sender signs many txs.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, PublicKey>();

  constructor(private readonly capacity = 4096) {}

  /** The parsed key; throws KvTxMalformedError for bytes that are not the suite's canonical encoding of a point. */
  get(suite: Suite, bytes: Uint8Array): PublicKey {
    const id = `${suite.name}:${Buffer.from(bytes).toString('hex')}`;
    const cached = this.keys.get(id);
    if (cached) return cached;
    const key = importKey(suite, bytes);
    if (this.keys.size >= this.capacity) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(id, key);
    return key;
  }
}

function importKey(suite: Suite, bytes: Uint8Array): PublicKey {
  let key: PublicKey;
  try {
    key = suite.importPublicKeyBytes(bytes);
  } catch (cause) {
    if (cause instanceof BsnError) throw new KvTxMalformedError(`public key: ${cause.message}`, { cause });
    throw cause;
  }
  // One key, one address: a second encoding of the same point (P-256 compressed vs not) would
  // give its holder a second account with its own nonces.
  if (!Buffer.from(key.bytes).equals(bytes)) throw new KvTxMalformedError(`not the canonical ${suite.name} public key encoding`);
  return key;
}

/** Throws KvTxMalformedError for a public key that is not a point of its suite, KvTxBadSignatureError for a wrong signature. */
export function verifyKvTx(tx: KvTx, keys?: PublicKeyCache): void {
  const suite = getSuite(tx.suite);
  const key = keys ? keys.get(suite, tx.publicKey) : importKey(suite, tx.publicKey);
  if (!suite.verify(key, kvSigningBytes(tx), tx.signature)) throw new KvTxBadSignatureError('the signature does not verify');
  // The tx hash covers the signature: a high-s twin would be the same tx under another hash (review L3).
  if (suite.name === ecdsaP256.name && !isLowS(tx.signature)) throw new KvTxBadSignatureError('an ecdsa-p256 signature must be low-s (s <= n/2)');
}

/** Everything that depends only on the bytes: decode, limits, chain, signature. Throws KvTxError. */
export function checkKvTxStateless(bytes: Uint8Array, chainId: string, limits: KvLimits = KV_LIMITS, keys?: PublicKeyCache): DecodedKvTx {
  const tx = decodeKvTx(bytes, limits);
  if (tx.chainId !== chainId) throw new KvTxWrongChainError(`tx is for chain '${tx.chainId}', this is '${chainId}'`);
  verifyKvTx(tx, keys);
  return tx;
}
