import { GatewayHttpError } from '../http-error.js';
import { QuotaError } from '../quota/limits.js';

/*
 * The gateway's traffic limits (docs/gateway-quotas.md, docs/gateway.md): per IP and per caller
 * (rate and requests in flight), the share of each app's request budget kept for authenticated
 * callers (M3), HTTP timeouts and connection caps (M12), and WebSocket bounds (H4(b)). The node
 * config's `gateway.limits` has this shape, every field optional.
 */

export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** Requests in flight at once. */
  readonly concurrent: number;
}

export interface WsTrafficLimits {
  /** WebSockets open at once (JSON-RPC and events together), and from one IP. */
  readonly maxSockets: number;
  readonly maxSocketsPerIp: number;
  /** Bytes queued for a socket that does not read; past it the socket is closed (1008). */
  readonly maxBufferedBytes: number;
  /** JSON-RPC messages of one socket waiting for their answer; past it the socket is closed. */
  readonly maxPendingMessages: number;
  /** A ping every so often; a socket that has not answered the previous one is closed. */
  readonly pingIntervalMs: number;
  /** A socket the client sent nothing on (not even a pong) for this long is closed. */
  readonly idleTimeoutMs: number;
  /** How often an authenticated socket's user and certificate are checked again (L8(5)). */
  readonly recheckIntervalMs: number;
}

export interface TrafficLimits {
  readonly perIp: RateLimit;
  readonly perCaller: RateLimit;
  /** Part of an app's `requestsPerSecond` anonymous callers may never take (0 to 1). */
  readonly authenticatedShare: number;
  /** Whole request (headers and body) must arrive within this (fastify `requestTimeout`). */
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** A connection with no traffic for this long is closed (fastify `connectionTimeout`). */
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly ws: WsTrafficLimits;
}

export const DEFAULT_TRAFFIC_LIMITS: TrafficLimits = {
  perIp: { requestsPerSecond: 500, burst: 1000, concurrent: 256 },
  perCaller: { requestsPerSecond: 500, burst: 1000, concurrent: 256 },
  authenticatedShare: 0.5,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
  maxConnectionsPerIp: 256,
  ws: { maxSockets: 1024, maxSocketsPerIp: 64, maxBufferedBytes: 8 * 1024 * 1024, maxPendingMessages: 64, pingIntervalMs: 30_000, idleTimeoutMs: 300_000, recheckIntervalMs: 30_000 },
};

type Partialish<T> = { readonly [K in keyof T]?: T[K] extends object ? Partialish<T[K]> : T[K] | undefined };
export type TrafficLimitsInput = Partialish<TrafficLimits>;

const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

/** `input` (the config's `gateway.limits`, or options) over the defaults. */
export function trafficLimits(input: TrafficLimitsInput | undefined): TrafficLimits {
  const d = DEFAULT_TRAFFIC_LIMITS;
  const { perIp, perCaller, ws, ...rest } = input ?? {};
  return {
    ...d,
    ...(defined(rest) as Partial<TrafficLimits>),
    perIp: { ...d.perIp, ...(defined(perIp) as Partial<RateLimit>) },
    perCaller: { ...d.perCaller, ...(defined(perCaller) as Partial<RateLimit>) },
    ws: { ...d.ws, ...(defined(ws) as Partial<WsTrafficLimits>) },
  };
}

/** One IP is over its request rate. */
export class QuotaIpRateError extends QuotaError {
  readonly code = 'QUOTA_IP_RATE';
}

/** One caller (certificate or API key) is over its request rate. */
export class QuotaCallerRateError extends QuotaError {
  readonly code = 'QUOTA_CALLER_RATE';
}

/** One IP or caller has too many requests in flight. */
export class QuotaConcurrencyError extends QuotaError {
  readonly code = 'QUOTA_CONCURRENCY';
}

/** An app segment that decodes to something else than its raw form (`%64emo`): quotas key on the decoded id (M2). */
export class NonCanonicalAppIdError extends GatewayHttpError {
  readonly code = 'REST_NON_CANONICAL_APP';
  readonly httpStatus = 400;
}
