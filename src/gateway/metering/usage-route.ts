import type { FastifyInstance } from 'fastify';
import type { CityNode } from '../../node/index.js';
import type { RequestAuthenticator } from '../rest/auth.js';
import { requireAppAdmin } from '../rest/admin.js';
import { authenticate, type AuthHook } from '../rest/hook.js';
import { prepareSignedScope } from '../rest/scope.js';
import { RestBadRequestError } from '../rest/routes-errors.js';
import { errorSchema, SECURITY_SCHEME } from '../rest/routes-schemas.js';
import { utcDay } from '../quota/limits.js';
import type { Meter } from './meter.js';

/*
 * GET /apps/:appId/usage?from=YYYY-MM-DD&to=YYYY-MM-DD — the app's metered usage per UTC day and
 * caller (docs/gateway-quotas.md). Signed, and for the app's admin only (an org certificate
 * bound to the app).
 */

/** Longest range one query may span, in days. */
export const MAX_USAGE_DAYS = 366;
const DAY_MS = 86_400_000;

const date = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'UTC date, YYYY-MM-DD' } as const;
const usage = {
  type: 'object',
  required: ['requests', 'requestBytes', 'responseBytes', 'txs', 'gas'],
  properties: { requests: { type: 'integer' }, requestBytes: { type: 'integer' }, responseBytes: { type: 'integer' }, txs: { type: 'integer' }, gas: { type: 'string', description: 'decimal' } },
} as const;

export const usageSchema = {
  tags: ['usage'],
  security: [{ [SECURITY_SCHEME]: [] }],
  summary: "The app's metered usage per UTC day and caller (app admin only)",
  params: { type: 'object', required: ['appId'], properties: { appId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } } },
  querystring: { type: 'object', additionalProperties: false, properties: { from: date, to: date } },
  response: {
    200: {
      type: 'object',
      required: ['appId', 'from', 'to', 'total', 'days'],
      properties: {
        appId: { type: 'string' },
        from: date,
        to: date,
        total: usage,
        days: { type: 'array', items: { type: 'object', required: ['day', 'total', 'callers'], properties: { day: date, total: usage, callers: { type: 'object', additionalProperties: usage, description: 'by caller: certificate fingerprint, API key id, or anonymous' } } } },
      },
    },
    ...Object.fromEntries([400, 401, 403, 404, 409].map((c) => [c, errorSchema])),
  },
} as const;

/** A real calendar date (not 2026-02-30), as ms at its UTC midnight. */
function parseDay(value: string, name: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!Number.isFinite(ms) || utcDay(ms) !== value) throw new RestBadRequestError(`querystring/${name} is not a date: ${value}`);
  return ms;
}

export interface UsageRouteOptions {
  readonly node: CityNode;
  readonly meter: Meter;
  readonly authenticator: RequestAuthenticator;
  /** How a request gets in (src/gateway/rest/access.ts); a signature alone when absent. */
  readonly access?: AuthHook;
  readonly clock?: () => number;
  readonly onError?: (err: unknown) => void;
}

/** Registers the usage route in its own scope (raw-body parsers for the signature, error handler). */
export async function registerUsageRoute(app: FastifyInstance, options: UsageRouteOptions): Promise<void> {
  const { node, meter } = options;
  const clock = options.clock ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  await app.register(async (scope) => {
    prepareSignedScope(scope, { node, onError, access: options.access ?? authenticate(options.authenticator, { appIdParam: 'appId' }) });
    scope.get<{ Params: { appId: string }; Querystring: { from?: string; to?: string } }>('/apps/:appId/usage', { schema: usageSchema, preValidation: requireAppAdmin('appId') }, async (request) => {
      const today = utcDay(clock());
      const from = request.query.from ?? request.query.to ?? today;
      const to = request.query.to ?? (request.query.from ? today : from);
      const span = (parseDay(to, 'to') - parseDay(from, 'from')) / DAY_MS;
      if (span < 0) throw new RestBadRequestError(`from (${from}) is after to (${to})`);
      if (span >= MAX_USAGE_DAYS) throw new RestBadRequestError(`at most ${MAX_USAGE_DAYS} days per query`);
      return meter.usage(request.params.appId, from, to);
    });
  });
}
