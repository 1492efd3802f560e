import type { FastifyInstance } from 'fastify';
import type { ApiKeyRegistry } from '../users/index.js';
import { requireAppAdmin } from './admin.js';
import { createApiKeySchema, deleteApiKeySchema, listApiKeysSchema } from './routes-schemas-users.js';

/*
 * API keys of an app, managed by its admin (docs/gateway-users.md). A key lets its holder call
 * the app's read-only routes with the `x-api-key` header instead of a signature (src/gateway/rest/access.ts).
 */
export function registerApiKeyRoutes(scope: FastifyInstance, apiKeys: ApiKeyRegistry): void {
  const admin = requireAppAdmin();

  scope.post<{ Params: { appId: string }; Body: { label?: string } | undefined }>('/apps/:appId/apikeys', { schema: createApiKeySchema, preValidation: admin }, async (request, reply) => {
    const { record, key } = await apiKeys.create(request.params.appId, request.identity!.fingerprint, request.body?.label);
    return reply.code(201).send({ id: record.id, key, ...(record.label !== undefined && { label: record.label }), createdAt: record.createdAt });
  });

  scope.get<{ Params: { appId: string } }>('/apps/:appId/apikeys', { schema: listApiKeysSchema, preValidation: admin }, async (request) => ({
    keys: apiKeys.list(request.params.appId).map((r) => ({ id: r.id, ...(r.label !== undefined && { label: r.label }), createdAt: r.createdAt, createdBy: r.createdBy })),
  }));

  scope.delete<{ Params: { appId: string; id: string } }>('/apps/:appId/apikeys/:id', { schema: deleteApiKeySchema, preValidation: admin }, async (request, reply) => {
    await apiKeys.revoke(request.params.appId, request.params.id);
    return reply.code(204).send();
  });
}
