import type { FastifyInstance } from 'fastify';
import type { CityNode } from '../../node/index.js';
import { requireAppAdmin } from '../rest/admin.js';
import type { AuthIdentity, RequestAuthenticator } from '../rest/auth.js';
import type { GuardedSocket, SocketGuards } from '../traffic/ws-guard.js';
import { authenticate, type AuthHook } from '../rest/hook.js';
import { prepareSignedScope } from '../rest/scope.js';
import type { GatewayStore } from '../store.js';
import { EventsUpgradeRequiredError } from './errors.js';
import { createWebhookSchema, deleteWebhookSchema, eventsSocketSchema, getWebhookSchema, listWebhooksSchema } from './schemas.js';
import { EventSources } from './source.js';
import { WebhookStore, type SecretSealer } from './webhook-store.js';
import { DEFAULT_WEBHOOK_OPTIONS, type WebhookOptions } from './webhook-worker.js';
import { WebhookDispatcher, type CreateWebhookInput } from './webhooks.js';
import { DEFAULT_WS_LIMITS, EventSocket, type EventWebSocket, type WsLimits } from './ws.js';

/*
 * The event routes of the gateway (docs/gateway-events.md): GET /apps/:appId/events (WebSocket)
 * for any caller of the app, and /apps/:appId/webhooks for its admin. Like the REST routes: an
 * unknown app first (404), then the signature (docs/gateway-auth.md), then the admin rule, then
 * the schema.
 */

export interface EventsOptions {
  readonly webhooks?: Partial<WebhookOptions>;
  readonly ws?: Partial<WsLimits>;
}

export interface RegisterEventsOptions {
  readonly node: CityNode;
  readonly authenticator: RequestAuthenticator;
  /**
   * How a request gets in (src/gateway/rest/access.ts: a signature, or an app's API key on the
   * read-only event socket, and no deleted user); a signature alone when absent.
   */
  readonly access?: AuthHook;
  /** Webhook definitions and cursors go to its 'webhooks' sublevel. */
  readonly store: GatewayStore;
  /** Seals webhook secrets at rest (the hosted-key vault, when users are configured). */
  readonly vault?: SecretSealer;
  readonly onError?: (err: unknown) => void;
  readonly options?: EventsOptions;
  /** Caps, buffer bound, pings and idle timeout of the sockets (src/gateway/traffic/ws-guard.ts); unbounded when absent. */
  readonly guards?: SocketGuards;
  /** Asked periodically for a socket opened with a certificate; false closes it (L8(5)). */
  readonly stillAuthorized?: (identity: AuthIdentity) => boolean;
}

const WEBHOOK_BODY_BYTES = 64 * 1024;

type AppParams = { appId: string };
type HookParams = AppParams & { id: string };

/**
 * Registers the event routes in their own scope and starts the webhook dispatcher; the
 * dispatcher, the sockets' feeds and the pollers stop when `app` closes (before the gateway
 * closes its store). @fastify/websocket must be registered on `app` first.
 */
export async function registerEvents(app: FastifyInstance, options: RegisterEventsOptions): Promise<void> {
  const { node } = options;
  const onError = options.onError ?? (() => undefined);
  const limits: WsLimits = { ...DEFAULT_WS_LIMITS, ...options.options?.ws };
  const sources = new EventSources(node, onError);
  const stopWatching = node.onChainsChanged((chainId) => sources.forget(chainId));
  const dispatcher = new WebhookDispatcher(new WebhookStore(options.store.sublevel('webhooks'), options.vault), sources, { ...DEFAULT_WEBHOOK_OPTIONS, ...options.options?.webhooks }, onError);
  const sockets = new Set<EventSocket>();
  await dispatcher.start();
  app.addHook('onClose', async () => {
    stopWatching();
    await dispatcher.stop();
    await Promise.all([...sockets].map((s) => s.close()));
    sources.stop();
  });

  await app.register(async (scope) => routes(scope, { ...options, onError, limits, sources, dispatcher, sockets }));
}

interface RouteDeps extends RegisterEventsOptions {
  readonly onError: (err: unknown) => void;
  readonly limits: WsLimits;
  readonly sources: EventSources;
  readonly dispatcher: WebhookDispatcher;
  readonly sockets: Set<EventSocket>;
}

/** The routes, in the encapsulated scope that has the raw-body parsers and hooks of signed routes. */
function routes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node, onError, limits, sources, dispatcher, sockets } = deps;
  // Unknown app first, then the signature, then (webhooks) the admin rule, and only then the schema.
  const admin = requireAppAdmin('appId');
  prepareSignedScope(scope, { node, onError, access: deps.access ?? authenticate(deps.authenticator, { appIdParam: 'appId' }) });

  scope.route<{ Params: AppParams }>({
    method: 'GET',
    url: '/apps/:appId/events',
    schema: eventsSocketSchema,
    // Subscribing only reads: an API key of the app may open the socket.
    config: { apiKey: true },
    handler: async () => {
      throw new EventsUpgradeRequiredError('this endpoint is WebSocket only: send an Upgrade request');
    },
    wsHandler: (raw, request) => {
      const source = sources.get(request.params.appId);
      const socket = raw as unknown as EventWebSocket;
      if (!source) return socket.close(4404, 'unknown app');
      const { identity } = request;
      const check = identity && deps.stillAuthorized;
      const guard = deps.guards?.admit(raw as unknown as GuardedSocket, request.ip, check ? () => check(identity) : undefined);
      if (deps.guards && !guard) return;
      // Sends go through the guard, which closes a socket whose client lets too much pile up.
      const bounded: EventWebSocket = guard
        ? { get readyState() { return socket.readyState; }, get bufferedAmount() { return socket.bufferedAmount; }, send: (d) => guard.send(d), close: (c, r) => socket.close(c, r), on: (e: 'message' | 'close', l: (data: Buffer | string) => void) => socket.on(e as 'message', l) }
        : socket;
      const events = new EventSocket(bounded, source, limits, onError);
      sockets.add(events);
      socket.on('close', () => sockets.delete(events));
    },
  });

  scope.post<{ Params: AppParams; Body: CreateWebhookInput }>('/apps/:appId/webhooks', { schema: createWebhookSchema, bodyLimit: WEBHOOK_BODY_BYTES, preValidation: [admin] }, async (request, reply) => {
    const { webhook, secret } = await dispatcher.create(request.params.appId, request.body, request.identity?.subject ?? '');
    return reply.code(201).send({ ...webhook, secret });
  });

  scope.get<{ Params: AppParams }>('/apps/:appId/webhooks', { schema: listWebhooksSchema, preValidation: [admin] }, async (request) => ({ webhooks: dispatcher.list(request.params.appId) }));

  scope.get<{ Params: HookParams }>('/apps/:appId/webhooks/:id', { schema: getWebhookSchema, preValidation: [admin] }, async (request) => dispatcher.get(request.params.appId, request.params.id));

  scope.delete<{ Params: HookParams }>('/apps/:appId/webhooks/:id', { schema: deleteWebhookSchema, preValidation: [admin] }, async (request, reply) => {
    await dispatcher.remove(request.params.appId, request.params.id);
    return reply.code(204).send();
  });
}
