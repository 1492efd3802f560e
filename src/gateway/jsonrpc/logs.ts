import { keccak256 } from '../../crypto/index.js';
import type { EvmChainView } from './chain-view.js';
import { JsonRpcError, RPC_CODE, invalidParams } from './errors.js';
import { formatLog } from './format.js';
import { data } from './hex.js';
import type { LogFilter } from './params.js';

/** eth_getLogs bounds: blocks scanned per query, and logs returned (geth-style -32005 beyond). */
export const LOG_LIMITS = { maxBlockRange: 10_000, maxResults: 10_000 } as const;

/** Whether an Ethereum 2048-bit bloom may contain `item` (false means it certainly does not). */
export function bloomMayContain(bloom: Uint8Array, item: Uint8Array): boolean {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

/** A block's bloom can hold a match: some address of the filter and, per position, some topic. */
function bloomMatches(bloom: Uint8Array, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => bloomMayContain(bloom, bytesOf(a)))) return false;
  return f.topics.every((alts) => alts === null || alts.some((t) => bloomMayContain(bloom, bytesOf(t))));
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
  for (let h = from; h <= to; h++) {
    const record = await view.blockRecord(h);
    if (!record || record.txHashes.length === 0 || !bloomMatches(record.bloom, f)) continue;
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
