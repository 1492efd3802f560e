import type { CallRequest } from './chain-view.js';
import { invalidParams } from './errors.js';
import { describe, parseAddress, parseData, parseHash, parseQuantity } from './hex.js';

/** Hand-written checks of JSON-RPC params: each failure is an invalid-params error (-32602). */

export type Params = readonly unknown[];

const MAX_HEIGHT = BigInt(Number.MAX_SAFE_INTEGER);

/** The params array, with at least `min` and at most `max` entries. */
export function paramsOf(params: unknown, min: number, max: number): Params {
  const list = params === undefined ? [] : params;
  if (!Array.isArray(list)) throw invalidParams('params must be an array');
  if (list.length < min || list.length > max) throw invalidParams(`expected ${min === max ? min : `${min} to ${max}`} params, got ${list.length}`);
  return list;
}

export type BlockTag = { kind: 'latest' } | { kind: 'pending' } | { kind: 'earliest' } | { kind: 'number'; height: number } | { kind: 'hash'; hash: Uint8Array };

/** A block parameter: a tag, a number, or (EIP-1898) `{blockNumber}` / `{blockHash}`. */
export function parseBlockTag(value: unknown, what = 'block'): BlockTag {
  if (value === undefined || value === null) return { kind: 'latest' };
  if (typeof value === 'string') {
    switch (value) {
      case 'latest':
      case 'safe':
      case 'finalized':
        // BFT finality: the latest committed block is final, so the three tags are one.
        return { kind: 'latest' };
      case 'pending':
        return { kind: 'pending' };
      case 'earliest':
        return { kind: 'earliest' };
      default:
        return { kind: 'number', height: Number(parseQuantity(value, what, MAX_HEIGHT)) };
    }
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o['blockHash'] !== undefined) return { kind: 'hash', hash: parseHash(o['blockHash'], `${what}.blockHash`) };
    if (o['blockNumber'] !== undefined) return parseBlockTag(o['blockNumber'], `${what}.blockNumber`);
  }
  throw invalidParams(`${what}: expected a block number, tag or {blockHash}, got ${describe(value)}`);
}

export function parseBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw invalidParams(`${what}: expected true or false, got ${describe(value)}`);
  return value;
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParams(`${what}: expected an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

const CALL_FIELDS = new Set(['from', 'to', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value', 'data', 'input', 'nonce', 'type', 'accessList', 'chainId', 'blobVersionedHashes', 'maxFeePerBlobGas']);

/** An eth_call / eth_estimateGas transaction object. Fee fields are checked and ignored: gas price is 0. */
export function parseCall(value: unknown): CallRequest {
  const o = objectOf(value, 'transaction');
  for (const k of Object.keys(o)) if (!CALL_FIELDS.has(k)) throw invalidParams(`transaction: unknown field '${k}'`);
  const opt = <T>(k: string, parse: (v: unknown, what: string) => T): T | undefined => (o[k] === undefined || o[k] === null ? undefined : parse(o[k], `transaction.${k}`));
  for (const k of ['gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'nonce', 'type', 'chainId']) opt(k, parseQuantity);
  const input = opt('input', parseData);
  const data = opt('data', parseData);
  if (input && data && Buffer.compare(input, data) !== 0) throw invalidParams('transaction: both input and data are set and differ');
  return { from: opt('from', parseAddress), to: opt('to', parseAddress), gas: opt('gas', parseQuantity), value: opt('value', parseQuantity), data: input ?? data };
}

export interface LogFilter {
  readonly from: BlockTag;
  readonly to: BlockTag;
  readonly blockHash?: Uint8Array;
  readonly addresses: readonly string[];
  /** Per position: null (any) or the accepted topics (0x-hex, lowercase). */
  readonly topics: readonly (readonly string[] | null)[];
}

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

export function parseFilter(value: unknown): LogFilter {
  const o = objectOf(value, 'filter');
  for (const k of Object.keys(o)) if (!['fromBlock', 'toBlock', 'address', 'topics', 'blockHash'].includes(k)) throw invalidParams(`filter: unknown field '${k}'`);
  const addresses = o['address'] === undefined || o['address'] === null ? [] : Array.isArray(o['address']) ? o['address'] : [o['address']];
  if (addresses.length > 1000) throw invalidParams('filter.address: at most 1000 addresses');
  const topicsRaw = o['topics'] === undefined || o['topics'] === null ? [] : o['topics'];
  if (!Array.isArray(topicsRaw) || topicsRaw.length > 4) throw invalidParams('filter.topics: expected an array of at most 4 entries');
  const topics = topicsRaw.map((t, i) => {
    if (t === null) return null;
    const list: unknown[] = Array.isArray(t) ? t : [t];
    if (list.length > 1000) throw invalidParams(`filter.topics[${i}]: at most 1000 alternatives`);
    return list.map((x) => hexOf(parseHash(x, `filter.topics[${i}]`)));
  });
  const blockHash = o['blockHash'] === undefined || o['blockHash'] === null ? undefined : parseHash(o['blockHash'], 'filter.blockHash');
  if (blockHash && (o['fromBlock'] !== undefined || o['toBlock'] !== undefined)) throw invalidParams('filter: blockHash excludes fromBlock and toBlock');
  return {
    from: parseBlockTag(o['fromBlock'], 'filter.fromBlock'),
    to: parseBlockTag(o['toBlock'], 'filter.toBlock'),
    blockHash,
    addresses: addresses.map((a, i) => hexOf(parseAddress(a, `filter.address[${i}]`))),
    topics,
  };
}
