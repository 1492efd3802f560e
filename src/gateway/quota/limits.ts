import { GatewayHttpError } from '../http-error.js';

/*
 * Per-app quotas of the gateway (docs/gateway-quotas.md): requests per second with a burst, and
 * transactions per UTC day. The node config's `gateway.quotas` has this shape.
 */

/** One app's limits; an absent field is not limited. */
export interface QuotaLimits {
  /** Sustained requests per second (the token bucket's refill rate). */
  readonly requestsPerSecond?: number;
  /** Requests allowed at once (the bucket's size); `ceil(requestsPerSecond)` by default. */
  readonly burst?: number;
  /** Transactions accepted per UTC day. */
  readonly txPerDay?: number;
}

export interface QuotaConfig {
  /** Limits of every app without its own entry. */
  readonly default?: QuotaLimits;
  /** Per app id; each field overrides the same field of `default`. */
  readonly apps?: Readonly<Record<string, QuotaLimits>>;
}

/** The limits that apply to `appId`. */
export function limitsFor(config: QuotaConfig | undefined, appId: string): QuotaLimits {
  const own = config?.apps && Object.hasOwn(config.apps, appId) ? config.apps[appId] : undefined;
  return { ...config?.default, ...own };
}

/** A request refused for a quota; `retryAfterSeconds` is what the Retry-After header says. */
export abstract class QuotaError extends GatewayHttpError {
  readonly httpStatus = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The app's token bucket is empty. */
export class QuotaRequestsPerSecondError extends QuotaError {
  readonly code = 'QUOTA_REQUESTS_PER_SECOND';
}

/** The app used its transactions of the UTC day. */
export class QuotaTxPerDayError extends QuotaError {
  readonly code = 'QUOTA_TX_PER_DAY';
}

/** JSON-RPC code of a quota refusal: -32005 "limit exceeded", as Infura and geth-style providers answer rate limits. */
export const RPC_LIMIT_EXCEEDED = -32005;

const DAY_MS = 86_400_000;

/** The UTC date of `ms`, YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Whole seconds from `ms` until the next UTC midnight, at least 1. */
export const secondsToNextUtcDay = (ms: number): number => Math.max(1, Math.ceil((DAY_MS - (ms % DAY_MS)) / 1000));
