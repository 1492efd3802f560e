import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EvmApplication, evmTxHashHex } from '../../execution/index.js';
import type { CityNode } from '../../node/index.js';
import { RPC_CODE } from '../jsonrpc/errors.js';
import type { JsonRpcContext, JsonRpcErrorObject, JsonRpcHooks } from '../jsonrpc/handler.js';
import { QuotaError, RPC_LIMIT_EXCEEDED, type QuotaConfig } from '../quota/limits.js';
import { Quotas, type TxReservation } from '../quota/quotas.js';
import type { RequestAuthenticator } from '../rest/auth.js';
import type { AuthHook } from '../rest/hook.js';
import type { GatewayStore } from '../store.js';
import { TrafficLimiter } from '../traffic/limiter.js';
import { NonCanonicalAppIdError, QuotaConcurrencyError, type TrafficLimits } from '../traffic/limits.js';
import { ANONYMOUS, callerOf } from './caller.js';
import { Meter } from './meter.js';
import { registerUsageRoute } from './usage-route.js';

/*
 * Quotas and metering on the gateway's fastify instance (docs/gateway-quotas.md). Root hooks see
 * every route under /apps/:appId/: `onRequest` takes a request token, `preHandler` (after the REST
 * routes' authentication and schema checks) counts a submitted transaction against the day,
 * `onSend`/`onResponse` meter sizes and outcomes. JSON-RPC gets the same through the handler's
 * hooks: per WebSocket message a token, per eth_sendRawTransaction (each one of a batch) a day slot.
 */

export interface AccountingOptions {
  readonly node: CityNode;
  readonly store: GatewayStore;
  /** No quota when absent. */
  readonly quotas?: QuotaConfig;
  /** ms between metering flushes; 5 s by default. */
  readonly meterFlushMs?: number;
  readonly clock?: () => number;
  readonly onError?: (err: unknown) => void;
  /** Per-IP and per-caller limits, and the authenticated share of app budgets (M3). */
  readonly traffic: TrafficLimits;
}

export interface Accounting {
  readonly quotas: Quotas;
  readonly meter: Meter;
  /** Pass to createJsonRpcHandler. */
  readonly rpcHooks: JsonRpcHooks;
  /** The context of one JSON-RPC HTTP request, or of one WebSocket connection (made at its upgrade request). */
  rpcContext(request: FastifyRequest, transport: 'http' | 'ws'): JsonRpcContext;
  /** GET /apps/:appId/usage, served with the REST API. */
  registerUsageRoute(authenticator: RequestAuthenticator, access?: AuthHook): Promise<void>;
  /** Flushes the meter; call before closing the store. */
  close(): Promise<void>;
}

interface RequestState {
  readonly appId: string;
  reservation?: TxReservation;
  responseBytes?: number;
  txHash?: string;
  rpc?: JsonRpcContext;
}

interface RpcStats {
  calls: number;
  refused: number;
  reservation?: TxReservation;
}

/** The raw app segment of a request-target, before any decoding. */
const APP_SEGMENT = /^\/apps\/([^/?#]*)/;
const APP_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RPC_ROUTE = '/apps/:chainId/rpc';
const SEND_RAW = 'eth_sendRawTransaction';

const isRpc = (request: FastifyRequest): boolean => request.routeOptions.url === RPC_ROUTE;
/** POST /apps/:appId/transactions and any other transaction-submitting route under the app. */
const isTxRoute = (request: FastifyRequest): boolean => request.method === 'POST' && (request.routeOptions.url ?? '').startsWith('/apps/:') && (request.routeOptions.url ?? '').endsWith('/transactions');

function payloadBytes(payload: unknown, reply: FastifyReply): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.length;
  if (payload === null || payload === undefined) return 0;
  const length = Number(reply.getHeader('content-length'));
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}

function requestBytes(request: FastifyRequest): number {
  const length = Number(request.headers['content-length']);
  if (Number.isSafeInteger(length) && length >= 0) return length;
  if (request.rawBody) return request.rawBody.length;
  return typeof request.body === 'string' ? Buffer.byteLength(request.body) : 0;
}

function hashOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    const hash: unknown = (JSON.parse(payload) as { hash?: unknown }).hash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}

/** The Ethereum hash of an EVM tx in a request body `{ tx }` (a 504 answer names no hash). */
function evmHashOfBody(request: FastifyRequest, node: CityNode): string | undefined {
  const tx = (request.body as { tx?: unknown } | undefined)?.tx;
  const appId = (request.params as { appId?: unknown }).appId;
  if (typeof tx !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(tx) || typeof appId !== 'string') return undefined;
  return node.chains.get(appId)?.app instanceof EvmApplication ? `0x${evmTxHashHex(Buffer.from(tx.slice(2), 'hex'))}` : undefined;
}

export async function installAccounting(app: FastifyInstance, options: AccountingOptions): Promise<Accounting> {
  const { node } = options;
  const onError = options.onError ?? (() => undefined);
  const quotas = new Quotas({ config: options.quotas, db: options.store.sublevel('quota'), authenticatedShare: options.traffic.authenticatedShare, ...(options.clock && { clock: options.clock }) });
  const meter = await Meter.open({ node, db: options.store.sublevel('meter'), registry: node.metrics.registry, onError, ...(options.meterFlushMs !== undefined && { flushIntervalMs: options.meterFlushMs }), ...(options.clock && { clock: options.clock }) });
  const states = new WeakMap<FastifyRequest, RequestState>();
  const stats = new WeakMap<JsonRpcContext, RpcStats>();
  const statsOf = (ctx: JsonRpcContext): RpcStats => stats.get(ctx) ?? stats.set(ctx, { calls: 0, refused: 0 }).get(ctx)!;
  const limited = quotas.enabled;

  const limiter = new TrafficLimiter(options.traffic, options.clock);
  const refuse = (reply: FastifyReply, appId: string | undefined, err: QuotaError, rpc: boolean): FastifyReply => {
    if (appId !== undefined) meter.refused(appId, err.code);
    const body = rpc ? { jsonrpc: '2.0', id: null, error: { code: RPC_LIMIT_EXCEEDED, message: err.message } } : { error: { code: err.code, message: err.message } };
    return reply.code(err.httpStatus).header('retry-after', String(err.retryAfterSeconds)).send(body);
  };
  const rpcRefusal = (ctx: JsonRpcContext, err: QuotaError): JsonRpcErrorObject => {
    meter.refused(ctx.appId, err.code);
    ctx.retryAfterSeconds = Math.max(ctx.retryAfterSeconds ?? 0, err.retryAfterSeconds);
    return { code: RPC_LIMIT_EXCEEDED, message: err.message };
  };

  app.addHook('onRequest', async (request, reply) => {
    const rpc = isRpc(request);
    // Per IP first, before any other work: this bounds every kind of request (M3).
    const ipErr = limiter.admitIp(request.ip);
    if (ipErr) return refuse(reply, undefined, ipErr, rpc);
    // Upgraded sockets are bounded by the WebSocket caps instead (src/gateway/traffic/ws-guard.ts).
    if (!(request as { ws?: boolean }).ws) {
      const release = limiter.enterIp(request.ip);
      if (release instanceof QuotaConcurrencyError) return refuse(reply, undefined, release, rpc);
      reply.raw.once('close', release);
    }
    const raw = APP_SEGMENT.exec(request.url)?.[1];
    const params = request.params as { appId?: unknown; chainId?: unknown } | undefined;
    const routed = params?.appId ?? params?.chainId;
    // The router decodes `%64emo` to `demo`: one app, many spellings, each with its own keys.
    // Only the raw spelling is signed and only the decoded one is routed, so refuse the rest (M2).
    if (raw !== undefined && ((typeof routed === 'string' && routed !== raw) || raw.includes('%'))) {
      const err = new NonCanonicalAppIdError(`the app segment '${raw.slice(0, 80)}' is not in canonical form; send the app id as is, without percent-encoding`);
      return reply.code(err.httpStatus).send(rpc ? { jsonrpc: '2.0', id: null, error: { code: RPC_CODE.invalidRequest, message: err.message } } : { error: { code: err.code, message: err.message } });
    }
    const appId = typeof routed === 'string' ? routed : raw;
    // Only apps this node hosts: anything else would let a caller fill the store with made-up ids.
    if (appId === undefined || !APP_ID.test(appId) || !node.chains.has(appId)) return;
    states.set(request, { appId });
    // JSON-RPC is anonymous: its budget is taken here. REST waits for authentication (preHandler).
    const err = limited && rpc ? quotas.admitRequest(appId, false) : undefined;
    if (err) return refuse(reply, appId, err, rpc);
  });

  app.addHook('preHandler', async (request, reply) => {
    const state = states.get(request);
    if (!state || isRpc(request)) return;
    const caller = callerOf(request);
    const authenticated = caller !== ANONYMOUS;
    if (authenticated) {
      const over = limiter.admitCaller(caller);
      if (over) return refuse(reply, state.appId, over, false);
      const release = limiter.enterCaller(caller);
      if (release instanceof QuotaConcurrencyError) return refuse(reply, state.appId, release, false);
      reply.raw.once('close', release);
    }
    const err = limited ? quotas.admitRequest(state.appId, authenticated) : undefined;
    if (err) return refuse(reply, state.appId, err, false);
    if (!limited || !isTxRoute(request)) return;
    const outcome = await quotas.reserveTxs(state.appId);
    if (outcome instanceof QuotaError) return refuse(reply, state.appId, outcome, false);
    if (outcome) state.reservation = outcome;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const state = states.get(request);
    if (!state) return payload;
    const ctx = state.rpc;
    if (ctx?.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(ctx.retryAfterSeconds));
      const s = statsOf(ctx);
      // Every call of the body refused for a quota: the HTTP answer says so too.
      if (s.calls > 0 && s.refused === s.calls && reply.statusCode === 200) void reply.code(429);
    }
    state.responseBytes = payloadBytes(payload, reply);
    if (isTxRoute(request)) state.txHash = reply.statusCode === 504 ? evmHashOfBody(request, node) : hashOf(payload);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request);
    if (!state) return;
    const caller = state.rpc?.caller ?? callerOf(request);
    meter.record(state.appId, caller, { requests: 1, requestBytes: requestBytes(request), responseBytes: state.responseBytes ?? 0 });
    if (!isTxRoute(request)) return;
    // 504: admitted, only the wait for its commit timed out. Other failures never reached the mempool.
    if (reply.statusCode < 300 || reply.statusCode === 504) meter.submitted(state.appId, caller, state.txHash);
    else if (state.reservation) await quotas.release(state.reservation).catch(onError);
  });

  const rpcHooks: JsonRpcHooks = {
    // HTTP requests took their token in onRequest; WebSocket messages take one each.
    beforeBody: (_body, ctx) => {
      if (ctx.transport !== 'ws') return undefined;
      const err = (ctx.ip !== undefined ? limiter.admitIp(ctx.ip) : undefined) ?? (limited ? quotas.admitRequest(ctx.appId, false) : undefined);
      return err ? rpcRefusal(ctx, err) : undefined;
    },
    beforeCall: async (method, ctx) => {
      const s = statsOf(ctx);
      s.calls += 1;
      if (!limited || method !== SEND_RAW) return undefined;
      const outcome = await quotas.reserveTxs(ctx.appId);
      if (!(outcome instanceof QuotaError)) {
        if (outcome) s.reservation = outcome;
        return undefined;
      }
      s.refused += 1;
      return rpcRefusal(ctx, outcome);
    },
    afterCall: async (method, outcome, ctx) => {
      if (method !== SEND_RAW) return;
      const s = statsOf(ctx);
      const reservation = s.reservation;
      delete s.reservation;
      if ('result' in outcome) meter.submitted(ctx.appId, ctx.caller, typeof outcome.result === 'string' ? outcome.result : undefined);
      else if (reservation) await quotas.release(reservation);
    },
    afterBody: (body, response, ctx) => {
      if (ctx.transport !== 'ws') return;
      meter.record(ctx.appId, ctx.caller, { requests: 1, requestBytes: Buffer.byteLength(body), responseBytes: response === undefined ? 0 : Buffer.byteLength(JSON.stringify(response)) });
    },
  };

  return {
    quotas,
    meter,
    rpcHooks,
    rpcContext: (request, transport) => {
      const appId = String((request.params as { chainId?: unknown }).chainId ?? '');
      const ctx: JsonRpcContext = { appId, caller: callerOf(request), transport, ip: request.ip };
      const state = states.get(request);
      if (state && transport === 'http') state.rpc = ctx;
      return ctx;
    },
    registerUsageRoute: (authenticator, access) => registerUsageRoute(app, { node, meter, authenticator, onError, ...(access && { access }), ...(options.clock && { clock: options.clock }) }),
    close: () => meter.close(),
  };
}
