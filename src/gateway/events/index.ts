// Event subscriptions of the gateway: WebSocket feeds and signed webhooks per app chain (docs/gateway-events.md).

export * from './errors.js';
export { registerEvents, type EventsOptions, type RegisterEventsOptions } from './routes.js';
export { AppEventSource, EventSources, eventIndex, type AppEvent, type BlockEvent, type LogEvent, type EventSpec, type Position } from './source.js';
export { EventFeed, type FeedOptions } from './feed.js';
export { parseEventSpec, parseFromHeight, filterJson, type FilterJson } from './spec.js';
export { decodeClientMessage, parseJsonMessage, SUBSCRIPTION_ID, type ClientMessage } from './ws-messages.js';
export { DEFAULT_WS_LIMITS, type WsLimits } from './ws.js';
export { WEBHOOK_HEADERS, newWebhookSecret, signWebhook, verifyWebhook, type VerifyWebhookInput } from './webhook-signature.js';
export { checkWebhookUrl, hostAllowed } from './webhook-url.js';
export { DEFAULT_WEBHOOK_OPTIONS, idempotencyKey, retryDelay, type WebhookOptions } from './webhook-worker.js';
export { WebhookDispatcher, type WebhookView, type CreateWebhookInput } from './webhooks.js';

