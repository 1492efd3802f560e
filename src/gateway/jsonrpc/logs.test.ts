import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { EvmBlockRecord } from '../../execution/index.js';
import type { EvmChainView } from './chain-view.js';
import { bloomBits, bloomMayContain, bloomTest, findLogs, LOG_LIMITS } from './logs.js';
import type { LogFilter } from './params.js';

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/** A bloom holding exactly `items`, built the way Ethereum builds one. */
function bloomOf(items: readonly Uint8Array[]): Uint8Array {
  const bloom = new Uint8Array(256);
  for (const item of items) for (const bit of bloomBits(item)) bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
  return bloom;
}

test('the precomputed bloom test agrees with testing every element against the bloom', () => {
  const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
  const topic = fc.uint8Array({ minLength: 32, maxLength: 32 });
  fc.assert(
    fc.property(fc.array(address, { maxLength: 4 }), fc.array(fc.option(fc.array(topic, { minLength: 1, maxLength: 3 }), { nil: null }), { maxLength: 4 }), fc.array(fc.oneof(address, topic), { maxLength: 6 }), (as, ts, present) => {
      const f: LogFilter = { from: { kind: 'latest' }, to: { kind: 'latest' }, addresses: as.map(hex), topics: ts.map((alts) => alts && alts.map(hex)) };
      // Half of the time the bloom holds some of the filter's own elements, so matches happen.
      const bloom = bloomOf([...present, ...as.slice(0, 1), ...ts.flatMap((alts) => alts?.slice(0, 1) ?? [])]);
      const expected = (as.length === 0 || as.some((a) => bloomMayContain(bloom, a))) && ts.every((alts) => alts === null || alts.some((t) => bloomMayContain(bloom, t)));
      assert.equal(bloomTest(f)(bloom), expected);
      assert.equal(bloomTest(f)(new Uint8Array(256)), as.length === 0 && ts.every((alts) => alts === null));
    }),
  );
});

test('eth_getLogs over the largest range with 1000 addresses hashes each address once, not once per block (H3)', async () => {
  // 10,000 blocks with a tx each whose bloom matches none of the 1000 addresses: before, every
  // block re-hashed all 1000 (10^7 keccaks, about 10 s); now 1000 keccaks and bit tests.
  const bloom = bloomOf([new Uint8Array(20).fill(0xee)]);
  const records = new Map<number, EvmBlockRecord>();
  for (let h = 1; h <= LOG_LIMITS.maxBlockRange; h++) records.set(h, { height: h, time: h, txHashes: [new Uint8Array(32)], gasUsed: 21000n, bloom });
  const view = { blockRecord: async (h: number) => records.get(h) } as unknown as EvmChainView;
  const addresses = Array.from({ length: 1000 }, (_, i) => hex(Uint8Array.from(Buffer.from(i.toString(16).padStart(40, '0'), 'hex'))));
  const started = performance.now();
  const logs = await findLogs(view, 1, LOG_LIMITS.maxBlockRange, { from: { kind: 'earliest' }, to: { kind: 'latest' }, addresses, topics: [] });
  const ms = performance.now() - started;
  assert.deepEqual(logs, []);
  assert.ok(ms < 2500, `the scan took ${ms.toFixed(0)} ms`);
});
