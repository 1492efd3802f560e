import { errorSchema, SECURITY_SCHEME } from '../rest/routes-schemas.js';
import { MAX_URL_LENGTH } from './webhook-url.js';

/*
 * JSON Schemas of the events WebSocket and webhook routes, for request validation, response
 * serialization and the OpenAPI document. The filter is checked by spec.ts (the same parser as
 * WebSocket subscriptions), so here it is only "an object".
 */

const appParams = {
  type: 'object',
  required: ['appId'],
  properties: { appId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'the app (chain) id' } },
} as const;
const hookParams = { ...appParams, required: ['appId', 'id'], properties: { ...appParams.properties, id: { type: 'string', pattern: '^wh_[0-9a-f]{24}$' } } } as const;

const errors = (...codes: number[]) => Object.fromEntries([401, 403, 404, ...codes].map((c) => [c, errorSchema]));
const common = { tags: ['events'], security: [{ [SECURITY_SCHEME]: [] }] };

// `nullable` (OpenAPI 3.0) rather than type lists: fast-json-stringify and the document both read it.
const nullableInt = { type: 'integer', nullable: true } as const;
const filter = {
  type: 'object',
  description: 'log filter in normal form: addresses, and per topic position null (any) or the accepted topics',
  properties: { address: { type: 'array', items: { type: 'string' } }, topics: { type: 'array', items: { type: 'array', nullable: true, items: { type: 'string' } } } },
} as const;

const webhook = {
  type: 'object',
  required: ['id', 'url', 'type', 'createdAt', 'createdBy', 'status'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    type: { type: 'string', enum: ['blocks', 'logs'] },
    filter,
    createdAt: { type: 'integer', description: 'ms since the epoch' },
    createdBy: { type: 'string', description: 'subject of the admin certificate' },
    status: {
      type: 'object',
      required: ['state', 'nextHeight', 'lastDeliveredHeight', 'lastDeliveredAt', 'delivered', 'failures', 'totalFailures', 'lastError', 'nextAttemptAt'],
      properties: {
        state: { type: 'string', enum: ['active', 'retrying', 'failing'] },
        nextHeight: { type: 'integer', description: 'height of the first event not acknowledged yet' },
        lastDeliveredHeight: nullableInt,
        lastDeliveredAt: nullableInt,
        delivered: { type: 'integer' },
        failures: { type: 'integer', description: 'failed attempts of the event being retried' },
        totalFailures: { type: 'integer' },
        lastError: { type: 'string', nullable: true },
        nextAttemptAt: nullableInt,
      },
    },
  },
} as const;

export const eventsSocketSchema = {
  ...common,
  summary: 'WebSocket (upgrade only): block and log events of the app, with backfill (docs/gateway-events.md)',
  params: appParams,
  response: { 426: errorSchema, ...errors(409) },
} as const;

export const createWebhookSchema = {
  ...common,
  summary: "Make a webhook (app admin only); the secret is in this answer only",
  params: appParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'type'],
    properties: {
      url: { type: 'string', minLength: 1, maxLength: MAX_URL_LENGTH, description: 'http(s) URL the events are POSTed to' },
      type: { type: 'string', enum: ['blocks', 'logs'] },
      filter: { type: 'object', description: 'logs only: { address?, topics? } as in eth_getLogs' },
      fromHeight: { type: 'integer', minimum: 1, description: 'first height to deliver (backfill); the next block by default' },
    },
  },
  response: { 201: { ...webhook, required: [...webhook.required, 'secret'], properties: { ...webhook.properties, secret: { type: 'string' } } }, ...errors(400, 409, 413) },
} as const;

export const listWebhooksSchema = {
  ...common,
  summary: "The app's webhooks and their delivery status (app admin only)",
  params: appParams,
  response: { 200: { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: webhook } } }, ...errors(409) },
} as const;

export const getWebhookSchema = {
  ...common,
  summary: 'One webhook and its delivery status (app admin only)',
  params: hookParams,
  response: { 200: webhook, ...errors(400, 409) },
} as const;

export const deleteWebhookSchema = {
  ...common,
  summary: 'Delete a webhook; delivery stops (app admin only)',
  params: hookParams,
  response: { 204: { type: 'null' }, ...errors(400, 409) },
} as const;
