/*
 * What the gateway meters per app, per caller, per UTC day (docs/gateway-quotas.md): kept as JSON
 * rows in the gateway store's 'meter' sublevel, gas as a decimal string.
 */

export interface Usage {
  requests: number;
  requestBytes: number;
  responseBytes: number;
  /** Transactions accepted by the mempool through this gateway. */
  txs: number;
  /** Gas used by the committed EVM transactions among them. */
  gas: bigint;
}

export interface UsageJson {
  readonly requests: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly txs: number;
  /** Decimal. */
  readonly gas: string;
}

export const emptyUsage = (): Usage => ({ requests: 0, requestBytes: 0, responseBytes: 0, txs: 0, gas: 0n });

export function addUsage(into: Usage, delta: Partial<Usage>): Usage {
  into.requests += delta.requests ?? 0;
  into.requestBytes += delta.requestBytes ?? 0;
  into.responseBytes += delta.responseBytes ?? 0;
  into.txs += delta.txs ?? 0;
  into.gas += delta.gas ?? 0n;
  return into;
}

export const usageToJson = (u: Usage): UsageJson => ({ requests: u.requests, requestBytes: u.requestBytes, responseBytes: u.responseBytes, txs: u.txs, gas: u.gas.toString() });

const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** A stored row back to a Usage; fields that are missing or damaged read as 0. */
export function usageFromJson(text: string): Usage {
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    raw = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    raw = {};
  }
  const gas = typeof raw['gas'] === 'string' && /^[0-9]{1,78}$/.test(raw['gas']) ? BigInt(raw['gas']) : 0n;
  return { requests: count(raw['requests']), requestBytes: count(raw['requestBytes']), responseBytes: count(raw['responseBytes']), txs: count(raw['txs']), gas };
}

/** Keys of the 'meter' sublevel. App ids are [a-z0-9-] and days YYYY-MM-DD, so '/' separates safely. */
export const usageKey = (appId: string, day: string, caller: string): string => `usage/${appId}/${day}/${caller}`;
export const pendingKey = (appId: string, hash: string): string => `pending/${appId}/${hash}`;
