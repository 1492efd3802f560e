import { JsonRpcError } from '../jsonrpc/errors.js';
import { parseFilter } from '../jsonrpc/params.js';
import { EventsBadFilterError, EventsBadHeightError, EventsBadRequestError, EventsWrongAppKindError } from './errors.js';
import type { EventSpec } from './source.js';

/*
 * The subscription fields shared by WebSocket subscribe messages and webhook bodies: `type`,
 * `filter` and `fromHeight`. The log filter is eth_getLogs' (address, topics) without a block
 * range, checked by the JSON-RPC parser so both APIs accept exactly the same filters.
 */

/** A log filter in its normal form: lower-case hex, alternatives always as lists. */
export interface FilterJson {
  readonly address: readonly string[];
  readonly topics: readonly (readonly string[] | null)[];
}

const FILTER_FIELDS = new Set(['address', 'topics']);

function parseLogFilter(filter: unknown): EventSpec {
  if (filter === undefined || filter === null) return { type: 'logs', filter: parseFilter({}) };
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new EventsBadFilterError('filter: expected an object with address and/or topics');
  for (const key of Object.keys(filter)) {
    if (!FILTER_FIELDS.has(key)) throw new EventsBadFilterError(`filter: unknown field '${key.slice(0, 40)}' (address, topics; events have no block range)`);
  }
  try {
    return { type: 'logs', filter: parseFilter(filter) };
  } catch (err) {
    if (err instanceof JsonRpcError) throw new EventsBadFilterError(err.message, { cause: err });
    throw err;
  }
}

/** The spec of `type` and `filter`; `hasLogs` is whether the app is an EVM app. */
export function parseEventSpec(type: unknown, filter: unknown, hasLogs: boolean): EventSpec {
  if (type === 'blocks') {
    if (filter !== undefined && filter !== null) throw new EventsBadFilterError('filter: block events take no filter');
    return { type: 'blocks' };
  }
  if (type === 'logs') {
    if (!hasLogs) throw new EventsWrongAppKindError('log events exist only on EVM apps');
    return parseLogFilter(filter);
  }
  throw new EventsBadRequestError('type: expected "blocks" or "logs"');
}

/** The filter of a logs spec in normal form (stored with a webhook, shown in its listing). */
export function filterJson(spec: EventSpec): FilterJson | undefined {
  return spec.type === 'logs' ? { address: spec.filter.addresses, topics: spec.filter.topics } : undefined;
}

/**
 * The first height to deliver: `value`, or the next block when absent. Any committed height may
 * be asked for (backfill); beyond the next block is refused, as a likely mistake.
 */
export function parseFromHeight(value: unknown, head: number): number {
  if (value === undefined) return head + 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new EventsBadRequestError('fromHeight: expected an integer ≥ 1');
  if (value > head + 1) throw new EventsBadHeightError(`fromHeight ${value} is beyond the next block (${head + 1})`);
  return value;
}
