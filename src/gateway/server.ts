import fastifyWebsocket from '@fastify/websocket';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket as NetSocket } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { CityNode } from '../node/index.js';
import { splitHostPort } from '../node/index.js';
import { EvmChainView } from './jsonrpc/chain-view.js';
import { RPC_CODE } from './jsonrpc/errors.js';
import { createJsonRpcHandler, DEFAULT_JSONRPC_LIMITS, type JsonRpcHandler, type JsonRpcLimits } from './jsonrpc/handler.js';
import type { RequestAuthenticator } from './rest/auth.js';
import { registerRestRoutes, type RestRoutesOptions } from './rest/routes.js';
import { GATEWAY_ID_HEADER } from './rest/canonical.js';
import { StoreNonceJournal } from './rest/nonce-journal.js';
import { gatewayIdOf, registerRestDocs, restAuthenticatorFromConfig } from './rest/routes-openapi.js';
import { trafficLimits, type TrafficLimits, type TrafficLimitsInput } from './traffic/limits.js';
import { CLOSE_POLICY, SocketGuards, type GuardedSocket } from './traffic/ws-guard.js';
import { registerEvents, type EventsOptions } from './events/index.js';
import { accessHook } from './rest/access.js';
import { openUserServices, usersOptionsFromConfig } from './users/index.js';
import { installAccounting } from './metering/accounting.js';
import type { QuotaConfig } from './quota/limits.js';
import { GatewayStore } from './store.js';
import { CommitPoller, SocketSubscriptions } from './subscriptions.js';

/*
 * The gateway of a city node: per app chain, Ethereum JSON-RPC at /apps/:chainId/rpc over HTTP
 * (POST) and WebSocket (GET with Upgrade). Only EVM chains have this endpoint.
 */

export interface GatewayOptions {
  /** host:port; port 0 picks a free one. */
  readonly listen: string;
  readonly limits?: Partial<JsonRpcLimits>;
  /** Errors that are this node's fault (answered as -32603 / 500). */
  readonly onError?: (err: unknown) => void;
  /**
   * Serve the signed REST API under /apps/:appId/ and its OpenAPI document at /docs
   * (docs/gateway.md, "REST API"). The authenticator defaults to one built from the node's
   * root, operator chain and CRLs.
   */
  readonly rest?: { readonly authenticator?: RequestAuthenticator; readonly maxBodyBytes?: number; /** User registration (docs/gateway-users.md); the node config's `gateway.users` when absent. */ readonly users?: RestRoutesOptions['users'] };
  /** Webhook retry schedule, timeouts, allowed hosts, and WebSocket limits (docs/gateway-events.md). */
  readonly events?: EventsOptions;
  /** Where the gateway keeps its own state (src/gateway/store.ts); `<dataDir>/gateway` by default. */
  readonly storeDir?: string;
  /** Per-app quotas (docs/gateway-quotas.md); the node config's `gateway.quotas` when absent; none when neither. */
  readonly quotas?: QuotaConfig;
  /** ms between flushes of the usage meter to the store; 5 s by default. */
  readonly meterFlushMs?: number;
  /** Per-IP and per-caller limits, timeouts, connection and WebSocket caps; the node config's `gateway.limits` when absent. */
  readonly traffic?: TrafficLimitsInput;
  /** Serve HTTPS (PEM text); the node config's `gateway.tls` when absent. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface Gateway {
  /** host:port actually listened on. */
  readonly address: string;
  /** What signed REST requests name as their gateway (also sent as the x-bsn-gateway header). */
  readonly id: string;
  /** Whether it serves HTTPS / WSS. */
  readonly tls: boolean;
  /** The JSON-RPC URL of one app chain. */
  rpcUrl(chainId: string, scheme?: 'http' | 'ws'): string;
  close(): Promise<void>;
}

interface ChainEndpoint {
  readonly view: EvmChainView;
  readonly http: JsonRpcHandler;
  readonly poller: CommitPoller;
}

const isRpcPath = (url: string): boolean => /^\/apps\/[^/?]*\/rpc(\?|$)/.test(url);
/** The REST error code of a status fastify answered before any REST route ran. */
const restCodeOf = (status: number): string =>
  ({ 400: 'REST_BAD_REQUEST', 404: 'REST_ROUTE_NOT_FOUND', 405: 'REST_METHOD_NOT_ALLOWED', 413: 'REST_BODY_TOO_LARGE', 414: 'REST_URI_TOO_LONG', 415: 'REST_UNSUPPORTED_MEDIA_TYPE' })[status] ?? (status >= 500 ? 'REST_INTERNAL' : 'REST_BAD_REQUEST');
type EventsConfig = NonNullable<CityNode['config']['gateway']>['events'];
/** Drops the fields a config leaves out (zod gives them as undefined). */
const present = <T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
/** The node config's `gateway.events` as the events module's options. */
const eventsOptionsFromConfig = (c: EventsConfig): EventsOptions | undefined =>
  c && { ...(c.webhooks && { webhooks: present(c.webhooks) }), ...(c.ws && { ws: present(c.ws) }) };
const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', id: null, error: { code, message } });

export async function startGateway(node: CityNode, options: GatewayOptions): Promise<Gateway> {
  const limits = { ...DEFAULT_JSONRPC_LIMITS, ...options.limits };
  const onError = options.onError ?? (() => undefined);
  const store = await GatewayStore.open(options.storeDir ?? path.join(node.config.dataDir, 'gateway'));
  const endpoints = new Map<string, ChainEndpoint | null>();
  // Views are made on first use; a chain that starts or stops being hosted (the app lifecycle)
  // drops its entry, so the next request sees the node as it is now.
  const stopWatching = node.onChainsChanged((chainId) => {
    endpoints.get(chainId)?.poller.stop();
    endpoints.delete(chainId);
  });
  const endpoint = (chainId: string): ChainEndpoint | undefined => {
    if (!endpoints.has(chainId)) {
      const view = node.chains.has(chainId) ? EvmChainView.of(node, chainId) : undefined;
      endpoints.set(chainId, view ? { view, http: createJsonRpcHandler(view, { limits, onInternalError: (_m, e) => onError(e), hooks: accounting.rpcHooks }), poller: new CommitPoller(view, onError, (wake) => node.onCommitted(chainId, wake)) } : null);
    }
    return endpoints.get(chainId) ?? undefined;
  };

  const traffic = trafficLimits(options.traffic ?? node.config.gateway?.limits);
  const tls = options.tls ?? tlsFromConfig(node.config.gateway?.tls, node.config.tls.chain);
  const guards = new SocketGuards(traffic.ws);
  // Unknown body fields are refused, not silently dropped (fastify's default), by the REST schemas.
  const app: FastifyInstance = Fastify({
    logger: false,
    serverFactory: (handler) => makeServer(handler, traffic, tls),
    bodyLimit: limits.maxRequestBytes,
    ajv: { customOptions: { removeAdditional: false } },
    // A URL fastify cannot decode never reaches a route; it gets the same error shape as the rest.
    frameworkErrors: (err, req, reply) => void (reply as FastifyReply).code(400).send(frameworkError(req.url, 400, err.message)),
  });
  // The body is parsed by the JSON-RPC handler, so that bad JSON is a -32700 answer, not a 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Errors no route handled (unmatched paths, bad URLs, bodies refused before a handler): a
  // JSON-RPC error object on the /rpc endpoints, the REST `{ error: { code, message } }` elsewhere.
  const frameworkError = (url: string, status: number, message: string) => (isRpcPath(url) ? rpcError(status >= 500 ? RPC_CODE.internal : RPC_CODE.invalidRequest, message) : { error: { code: restCodeOf(status), message } });
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) onError(err);
    void reply.code(status).send(frameworkError(req.url, status, status === 413 ? `request body larger than ${limits.maxRequestBytes} bytes` : status >= 500 ? 'internal error' : err.message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(frameworkError(req.url, 404, `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`)));
  await app.register(fastifyWebsocket, { options: { maxPayload: limits.maxRequestBytes } });
  // Root hooks: after the WebSocket plugin's (it must mark upgrades before a quota answers one,
  // or the refused socket is never closed), before the route plugins, which inherit them.
  const authenticator = options.rest ? (options.rest.authenticator ?? restAuthenticatorFromConfig(node.config)) : undefined;
  const gatewayId = authenticator?.gateway ?? gatewayIdOf(node.config);
  // Every answer names the gateway, so a client learns what to sign from its first request.
  app.addHook('onRequest', async (_req, reply) => void reply.header(GATEWAY_ID_HEADER, gatewayId));
  const accounting = await installAccounting(app, { node, store, onError, traffic, quotas: options.quotas ?? node.config.gateway?.quotas, ...(options.meterFlushMs !== undefined && { meterFlushMs: options.meterFlushMs }) });
  if (options.rest && authenticator) {
    await authenticator.useJournal(new StoreNonceJournal(store.sublevel('nonces')));
    await registerRestDocs(app);
    // One set of user and API-key registries, so that every route group refuses the same deleted
    // users and takes the same API keys (docs/gateway-users.md).
    const usersConfig = node.config.gateway?.users;
    const services = await openUserServices(store, options.rest.users ?? (usersConfig && usersOptionsFromConfig(usersConfig)));
    const access = accessHook({ authenticator, apiKeys: services.apiKeys, users: services.registry });
    await registerRestRoutes(app, { node, authenticator, onError, store, services, ...(options.rest.maxBodyBytes !== undefined && { maxBodyBytes: options.rest.maxBodyBytes }) });
    // WebSocket events and webhooks (docs/gateway-events.md); the webhook dispatcher stops when the app closes, before the store.
    const events = options.events ?? eventsOptionsFromConfig(node.config.gateway?.events);
    await registerEvents(app, { node, authenticator, access, store, onError, guards, stillAuthorized: (identity) => !services.registry.isDeleted(identity.fingerprint) && authenticator.stillValid(identity), ...(events && { options: events }), ...(services.vault && { vault: services.vault }) });
    await accounting.registerUsageRoute(authenticator, access);
  }

  const unknownChain = (chainId: string) => rpcError(RPC_CODE.methodNotFound, `this node hosts no EVM app chain '${chainId.slice(0, 100)}'`);

  app.route<{ Params: { chainId: string } }>({
    method: 'GET',
    url: '/apps/:chainId/rpc',
    // A plain GET (no Upgrade) is not an endpoint: JSON-RPC over HTTP is POST.
    handler: async (req, reply) => reply.code(endpoint(req.params.chainId) ? 405 : 404).send(endpoint(req.params.chainId) ? rpcError(RPC_CODE.invalidRequest, 'use POST, or a WebSocket upgrade') : unknownChain(req.params.chainId)),
    wsHandler: (raw, req) => {
      const socket = raw as unknown as GuardedSocket;
      const ep = endpoint(req.params.chainId);
      if (!ep) {
        socket.send(JSON.stringify(unknownChain(req.params.chainId)));
        socket.close(4404, 'unknown app chain');
        return;
      }
      const guard = guards.admit(socket, req.ip);
      if (!guard) return;
      // Bounded: a client that does not read is closed, not buffered for (H4(b)).
      const push = (message: string) => guard.send(message);
      const subs = new SocketSubscriptions(ep.poller, push);
      const handler = createJsonRpcHandler(ep.view, { limits, onInternalError: (_m, e) => onError(e), extraMethods: subs.methods(), hooks: accounting.rpcHooks });
      const context = accounting.rpcContext(req, 'ws');
      // Answers in request order, one at a time, like the HTTP batch; at most maxPendingMessages wait.
      let tail: Promise<void> = Promise.resolve();
      let pending = 0;
      socket.on('message', (data) => {
        if (guard.isClosed) return;
        if (pending >= traffic.ws.maxPendingMessages) return guard.end(CLOSE_POLICY, `more than ${traffic.ws.maxPendingMessages} requests waiting`, true);
        pending += 1;
        tail = tail
          .then(async () => {
            if (guard.isClosed) return;
            const response = await handler(typeof data === 'string' ? data : data.toString('utf8'), context);
            if (response !== undefined) push(JSON.stringify(response));
            await subs.greet(ep.view);
          })
          .catch(onError)
          .finally(() => void (pending -= 1));
      });
      socket.on('close', () => subs.close());
    },
  });

  app.post<{ Params: { chainId: string }; Body: string | undefined }>('/apps/:chainId/rpc', async (req, reply) => {
    const ep = endpoint(req.params.chainId);
    if (!ep) return reply.code(404).send(unknownChain(req.params.chainId));
    const response = await ep.http(typeof req.body === 'string' ? req.body : '', accounting.rpcContext(req, 'http'));
    if (response === undefined) return reply.code(204).send();
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(response));
  });

  const { host, port } = splitHostPort(options.listen);
  await app.listen({ host, port });
  const addr = app.server.address();
  const address = `${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    address,
    id: gatewayId,
    tls: tls !== undefined,
    rpcUrl: (chainId, scheme = 'http') => `${tls ? `${scheme}s` : scheme}://${address}/apps/${encodeURIComponent(chainId)}/rpc`,
    close: async () => {
      stopWatching();
      for (const ep of endpoints.values()) ep?.poller.stop();
      guards.closeAll();
      await app.close();
      await accounting.close();
      await store.close();
    },
  };
}

type GatewayTlsConfig = NonNullable<CityNode['config']['gateway']>['tls'];

/** The gateway's certificate (its chain appended, the node's operator CA by default) and key, from the node config. */
function tlsFromConfig(c: GatewayTlsConfig, nodeChain: readonly string[]): { cert: string; key: string } | undefined {
  if (!c) return undefined;
  const chain = (c.chain ?? nodeChain).map((f) => readFileSync(f, 'utf8'));
  return { cert: [readFileSync(c.cert, 'utf8'), ...chain].join('\n'), key: readFileSync(c.key, 'utf8') };
}

/**
 * The HTTP(S) server under fastify, with the timeouts and connection caps of M12: the whole
 * request must arrive within `requestTimeoutMs` (a slow body is cut off), an idle connection is
 * closed, and connections are capped in all and per IP.
 */
function makeServer(handler: http.RequestListener, traffic: TrafficLimits, tls: { cert: string; key: string } | undefined): http.Server {
  const options: http.ServerOptions = {
    requestTimeout: traffic.requestTimeoutMs,
    headersTimeout: Math.min(traffic.headersTimeoutMs, traffic.requestTimeoutMs),
    keepAliveTimeout: traffic.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (30 s by default).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(traffic.requestTimeoutMs / 4))),
  };
  const server: http.Server = tls ? https.createServer({ ...options, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) : http.createServer(options, handler);
  server.setTimeout(traffic.idleTimeoutMs);
  server.maxConnections = traffic.maxConnections;
  const perIp = new Map<string, number>();
  server.on('connection', (socket: NetSocket) => {
    const ip = socket.remoteAddress ?? '';
    const n = perIp.get(ip) ?? 0;
    if (n >= traffic.maxConnectionsPerIp) return void socket.destroy();
    perIp.set(ip, n + 1);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
  });
  return server;
}
