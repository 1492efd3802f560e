import type { FastifyRequest } from 'fastify';

/*
 * Who a metered request is billed to: the certificate fingerprint of a signed REST request, else
 * the id of the API key the gateway checked (`request.apiKeyId`, set by the REST access hook),
 * else 'anonymous'. An x-api-key header nobody checked (JSON-RPC has no API-key check yet) bills
 * nobody: taking its word would let any caller charge another app's key.
 */

export const ANONYMOUS = 'anonymous';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function callerOf(request: FastifyRequest): string {
  if (request.identity) return request.identity.fingerprint;
  // Read loosely: the API-key hook declares the field in its own module.
  const keyId = (request as { apiKeyId?: unknown }).apiKeyId;
  return typeof keyId === 'string' && KEY_ID.test(keyId) ? `key:${keyId}` : ANONYMOUS;
}
