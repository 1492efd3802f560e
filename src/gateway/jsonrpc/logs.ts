import { keccak256 } from '../../crypto/index.js';
import type { EvmChainView } from './chain-view.js';
import { JsonRpcError, RPC_CODE, invalidParams } from './errors.js';
import { formatLog } from './format.js';
import { data } from './hex.js';
import type { LogFilter } from './params.js';

/** eth_getLogs bounds: blocks scanned per query, and logs returned (geth-style -32005 beyond). */
export const LOG_LIMITS = { maxBlockRange: 10_000, maxResults: 10_000 } as const;

/** The three bloom bits (0..2047) an item sets: pairs of bytes of its keccak256, as Ethereum defines. */
export function bloomBits(item: Uint8Array): readonly [number, number, number] {
  const h = keccak256(item);
  return [((h[0]! << 8) | h[1]!) & 2047, ((h[2]! << 8) | h[3]!) & 2047, ((h[4]! << 8) | h[5]!) & 2047];
}

function hasBits(bloom: Uint8Array, bits: readonly number[]): boolean {
  for (const bit of bits) if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  return true;
}

/** Whether an Ethereum 2048-bit bloom may contain `item` (false means it certainly does not). */
export function bloomMayContain(bloom: Uint8Array, item: Uint8Array): boolean {
  return hasBits(bloom, bloomBits(item));
}

const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

/**
 * A filter's bloom test with every element hashed once per query: a filter may hold 5,000
 * elements and a query scan 10,000 blocks, and hashing per block made that 5·10^7 keccaks (H3).
 */
export type BloomTest = (bloom: Uint8Array) => boolean;

export function bloomTest(f: LogFilter): BloomTest {
  const addresses = f.addresses.map((a) => bloomBits(bytesOf(a)));
  const topics = f.topics.flatMap((alts) => (alts === null ? [] : [alts.map((t) => bloomBits(bytesOf(t)))]));
  return (bloom) => (addresses.length === 0 || addresses.some((bits) => hasBits(bloom, bits))) && topics.every((alts) => alts.some((bits) => hasBits(bloom, bits)));
}

function logMatches(address: string, topics: readonly string[], f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.includes(address)) return false;
  return f.topics.every((alts, i) => alts === null || (topics[i] !== undefined && alts.includes(topics[i]!)));
}

/** The logs of blocks `from..to` (inclusive, already resolved) that match the filter. */
export async function findLogs(view: EvmChainView, from: number, to: number, f: LogFilter): Promise<Record<string, unknown>[]> {
  if (from > to) return [];
  if (to - from + 1 > LOG_LIMITS.maxBlockRange) throw invalidParams(`block range of ${to - from + 1} blocks exceeds the limit of ${LOG_LIMITS.maxBlockRange}`);
  const out: Record<string, unknown>[] = [];
  const mayMatch = bloomTest(f);
  for (let h = from; h <= to; h++) {
    const record = await view.blockRecord(h);
    if (!record || record.txHashes.length === 0 || !mayMatch(record.bloom)) continue;
    const blockHash = (await view.blockHash(h))!;
    const receipts = await view.blockReceipts(h, record);
    let logIndex = 0;
    for (const r of receipts) {
      if (!r) continue;
      for (const log of r.logs) {
        if (logMatches(data(log.address), log.topics.map(data), f)) {
          if (out.length >= LOG_LIMITS.maxResults) throw new JsonRpcError(RPC_CODE.limitExceeded, `query returned more than ${LOG_LIMITS.maxResults} results`, 'RPC_LIMIT_EXCEEDED');
          out.push(formatLog(log, { blockHash, blockNumber: h, txHash: data(r.txHash), txIndex: r.index, logIndex }));
        }
        logIndex++;
      }
    }
  }
  return out;
}
