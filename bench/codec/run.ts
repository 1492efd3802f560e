// Speed of the canonical encoding (src/codec) against cborg on the same values.
// Run: node --import tsx bench/codec/run.ts
import os from 'node:os';
import { decode as cborgDecode, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { decode, encode, type CodecValue } from '../../src/codec/index.js';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

const voteMap: CodecValue = {
  type: 2,
  height: 1_234_567,
  round: 0,
  blockHash: bytes(32, 1),
  validatorIndex: 17,
  timestamp: 1_700_000_000_123,
};
const voteArray: CodecValue = [2, 1_234_567, 0, bytes(32, 1), 17, 1_700_000_000_123];

/** About 1 MiB: a header and 4,000 transactions of ~260 bytes (addresses, nonce, value, calldata, signature). */
function block(): CodecValue {
  const txs: CodecValue[] = [];
  for (let i = 0; i < 4000; i++) {
    txs.push({
      from: bytes(20, i),
      to: bytes(20, i + 1),
      nonce: i,
      value: 10n ** 18n + BigInt(i),
      gasLimit: 21_000 + i,
      data: bytes(120, i + 2),
      signature: bytes(65, i + 3),
    });
  }
  return {
    header: { chainId: 'app-42', height: 99_999, time: 1_700_000_000_000, parentHash: bytes(32, 9), txRoot: bytes(32, 8), proposer: 3 },
    txs,
  };
}

/** Median and best of several timed rounds: the machine is shared, and the median resists noise. */
function measure(name: string, fn: () => unknown, rounds = 7, roundMs = 250): number {
  for (let i = 0; i < 200; i++) fn();
  const perOp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let iterations = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < roundMs) {
      for (let i = 0; i < 10; i++) fn();
      iterations += 10;
      elapsed = performance.now() - start;
    }
    perOp.push((elapsed * 1000) / iterations);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[rounds >> 1]!;
  const fmt = (us: number): string => us.toFixed(us < 10 ? 2 : 0);
  console.log(`${name.padEnd(36)} median ${fmt(median).padStart(8)} µs/op (best ${fmt(perOp[0]!)})  ${Math.round(1e6 / median).toLocaleString('en-US').padStart(10)} op/s`);
  return median;
}

const strictCborg = { strict: true, allowIndefinite: false, allowUndefined: false, allowInfinity: false, allowNaN: false, rejectDuplicateMapKeys: true } as const;

console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
for (const [name, value] of [
  ['vote (map, 6 fields)', voteMap],
  ['vote (array, 6 fields)', voteArray],
  ['block (~1 MiB, 4000 txs)', block()],
] as const) {
  const enc = encode(value);
  console.log(`\n${name}: ${enc.length.toLocaleString('en-US')} bytes`);
  const e = measure('  bsn encode', () => encode(value));
  const d = measure('  bsn decode', () => decode(enc));
  if (enc.length > 100_000) {
    console.log(`  bsn encode ${(enc.length / e).toFixed(0)} MB/s, decode ${(enc.length / d).toFixed(0)} MB/s`);
  }
  measure('  cborg encode (rfc8949 options)', () => cborgEncode(value, rfc8949EncodeOptions));
  measure('  cborg decode (strict options)', () => cborgDecode(enc, strictCborg));
}
