// Crypto benchmark: each suite's sign/verify beside the raw primitive it wraps, measured in the
// same run, plus the measurements behind the implementation choices in docs/crypto.md.
// Usage: npm run bench:crypto   (writes bench/results/crypto.json)
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 as nobleSecp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { getSuite, keccak256, sm3, type PrivateKey, type Suite } from '../../src/crypto/index.js';
import { secp256k1Native as native } from '../../src/crypto/secp256k1-native.js';
import { sm2Engine } from '../../src/crypto/sm2-core.js';

const SLICE_MS = 200;
const ROUNDS = 5;

/** Milliseconds of CPU this process has used: other load on a shared machine does not count. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Operations per CPU-second of each function. The functions take turns in short slices, so a
 * pair compared against each other sees the same machine state; the best slice counts.
 */
function rates(...fns: (() => unknown)[]): number[] {
  const best = fns.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, i) => {
      let ops = 0;
      const start = cpuMs();
      let elapsed = 0;
      do {
        for (let j = 0; j < 8; j++) fn();
        ops += 8;
        elapsed = cpuMs() - start;
      } while (elapsed < SLICE_MS);
      best[i] = Math.max(best[i]!, (ops * 1000) / elapsed);
    });
  }
  return best;
}

interface Row {
  suite: string;
  operation: string;
  ours: number;
  rawName: string;
  raw: number;
  overheadPercent: number;
}

const rows: Row[] = [];
const extras: { name: string; perSecond: number }[] = [];

function compare(suite: string, operation: string, ours: () => unknown, rawName: string, raw: () => unknown): void {
  const [oursRate, rawRate] = rates(ours, raw) as [number, number];
  rows.push({ suite, operation, ours: oursRate, rawName, raw: rawRate, overheadPercent: (rawRate / oursRate - 1) * 100 });
}

function extra(name: string, fn: () => unknown): number {
  const [rate] = rates(fn) as [number];
  extras.push({ name, perSecond: rate });
  return rate;
}

const message = randomBytes(64);

function nodeSuite(name: 'ecdsa-p256' | 'ed25519', keyType: 'ec' | 'ed25519', digest: string | null, dsaEncoding?: 'ieee-p1363'): void {
  const suite = getSuite(name);
  const ours = suite.generateKeyPair();
  const pem = suite.exportPrivateKeyPem(ours.privateKey);
  const keyObject = createPrivateKey(pem);
  const publicObject = createPublicKey(keyObject);
  const options = (key: typeof keyObject) => (dsaEncoding ? { key, dsaEncoding } : key);
  const signature = suite.sign(ours.privateKey, message);
  compare(name, 'sign', () => suite.sign(ours.privateKey, message), `node:crypto sign (${keyType})`, () => sign(digest, message, options(keyObject)));
  compare(name, 'verify', () => suite.verify(ours.publicKey, message, signature), 'node:crypto verify', () =>
    verify(digest, message, options(publicObject), signature),
  );
}

function secp256k1Bench(): void {
  const suite = getSuite('secp256k1');
  const d = randomBytes(32);
  const privateKey = suite.importPrivateKeyPem(
    createPrivateKey({ key: Buffer.concat([Buffer.from('302e0201010420', 'hex'), d, Buffer.from('a00706052b8104000a', 'hex')]), format: 'der', type: 'sec1' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  );
  const publicKey = privateKey.publicKey;
  const signature = suite.sign(privateKey, message);
  const digest = keccak256(message);
  compare('secp256k1', 'sign', () => suite.sign(privateKey, message), 'keccak + addon ecdsaSign', () => native.ecdsaSign(keccak256(message), d));
  compare('secp256k1', 'verify', () => suite.verify(publicKey, message, signature), 'keccak + addon ecdsaRecover', () =>
    native.ecdsaRecover(signature.subarray(0, 64), signature[64]!, keccak256(message), true),
  );
  extra('secp256k1: addon ecdsaVerify (no v check)', () => native.ecdsaVerify(signature.subarray(0, 64), digest, publicKey.bytes));
  extra('secp256k1: @noble/curves sign (prehashed)', () => nobleSecp256k1.sign(digest, d, { prehash: false }));
  extra('secp256k1: @noble/curves verify (prehashed)', () => nobleSecp256k1.verify(signature.subarray(0, 64), digest, publicKey.bytes, { prehash: false }));
}

function sm2PrivateKeyOf(suite: Suite, d: bigint): PrivateKey {
  const der = Buffer.from('3041020100301306072a8648ce3d020106082a811ccf5501822d042730250201010420' + d.toString(16).padStart(64, '0'), 'hex');
  return suite.importPrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`);
}

function sm2Bench(): void {
  const suite = getSuite('sm2');
  const d = (bytesToNumberBE(randomBytes(40)) % (sm2Engine.n - 2n)) + 1n;
  const privateKey = sm2PrivateKeyOf(suite, d);
  const publicKey = privateKey.publicKey;
  const signature = suite.sign(privateKey, message);
  const r = bytesToNumberBE(signature.subarray(0, 32));
  const s = bytesToNumberBE(signature.subarray(32));
  const point = sm2Engine.Point.BASE.multiply(d);
  const za = sm2Engine.za(new TextEncoder().encode('1234567812345678'), point);
  const factor = sm2Engine.signingFactor(d);
  for (let i = 0; i < 20; i++) suite.verify(publicKey, message, signature); // make the key hot: it gets its table
  const tablePoint = sm2Engine.Point.fromAffine(point.toAffine()).precompute(6, false);

  compare('sm2', 'sign', () => suite.sign(privateKey, message), 'SM3(Z_A‖M) + noble sign', () => sm2Engine.signDigest(d, factor, sm2Engine.digest(za, message)));
  compare('sm2', 'verify', () => suite.verify(publicKey, message, signature), 'SM3(Z_A‖M) + noble verify (table)', () =>
    sm2Engine.verifyDigest(tablePoint, sm2Engine.digest(za, message), r, s),
  );
  const uncompressed = Buffer.from(point.toBytes(false)).toString('hex');
  const theirs = rates(
    () => suite.verify(publicKey, message, signature),
    () => suite.verify(suite.importPublicKeyBytes(publicKey.bytes), message, signature),
    () => smCrypto.doVerifySignature(message, Buffer.from(signature).toString('hex'), uncompressed, { hash: true, der: false }),
  ) as [number, number, number];
  extras.push({ name: 'sm2: verify, hot key (window table)', perSecond: theirs[0] });
  extras.push({ name: 'sm2: verify, cold key (import + verify, no table)', perSecond: theirs[1] });
  extras.push({ name: 'sm2: sm-crypto-v2 doVerifySignature', perSecond: theirs[2] });
  extras.push({ name: 'sm2: ratio hot verify / sm-crypto-v2 verify', perSecond: theirs[0] / theirs[2] });
  extras.push({ name: 'sm2: ratio cold verify / sm-crypto-v2 verify', perSecond: theirs[1] / theirs[2] });
  const dHex = d.toString(16).padStart(64, '0');
  extra('sm2: sm-crypto-v2 doSignature', () => smCrypto.doSignature(message, dHex, { hash: true, der: false, publicKey: uncompressed }));
  const openssl = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  const opensslSignature = sign('sm3', message, openssl.privateKey);
  extra('sm2: OpenSSL 3.0 sign (node:crypto, empty ID, for scale)', () => sign('sm3', message, openssl.privateKey));
  extra('sm2: OpenSSL 3.0 verify (node:crypto, empty ID, for scale)', () => verify('sm3', message, openssl.publicKey, opensslSignature));
}

function hashBench(): void {
  extra('keccak256 64 B: hash-wasm (ours)', () => keccak256(message));
  extra('keccak256 64 B: @noble/hashes', () => keccak_256(message));
  extra('sm3 64 B: node:crypto (ours)', () => sm3(message));
  extra('sha256 64 B: node:crypto, for scale', () => createHash('sha256').update(message).digest());
}

function report(): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\nNode ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; operations per CPU-second, best of ${ROUNDS} × ${SLICE_MS} ms slices\n`);
  console.log('| suite | op | ours /s | raw primitive | raw /s | wrapper overhead |');
  console.log('| --- | --- | ---: | --- | ---: | ---: |');
  for (const row of rows) {
    console.log(`| ${row.suite} | ${row.operation} | ${fmt(row.ours)} | ${row.rawName} | ${fmt(row.raw)} | ${row.overheadPercent.toFixed(1)}% |`);
  }
  console.log('\n| measurement | per second |');
  console.log('| --- | ---: |');
  for (const e of extras) console.log(`| ${e.name} | ${e.name.includes('ratio') ? e.perSecond.toFixed(2) + '×' : fmt(e.perSecond)} |`);
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  const json = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, date: new Date().toISOString(), rows, extras };
  writeFileSync(new URL('../results/crypto.json', import.meta.url), JSON.stringify(json, null, 2) + '\n');
  console.log('\nwrote bench/results/crypto.json');
}

nodeSuite('ecdsa-p256', 'ec', 'sha256', 'ieee-p1363');
nodeSuite('ed25519', 'ed25519', null);
secp256k1Bench();
sm2Bench();
hashBench();
report();
