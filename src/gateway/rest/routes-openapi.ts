import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { NodeConfig } from '../../node/index.js';
import { RequestAuthenticator, type AuthenticatorOptions } from './auth.js';
import { securitySchemes } from './routes-schemas.js';

/*
 * The OpenAPI 3 document of the REST API at /docs/json (and /docs/yaml), and Swagger UI at /docs,
 * served from the assets in the @fastify/swagger-ui package: no network access needed. Register
 * it before the routes so that @fastify/swagger sees them; untagged routes (JSON-RPC) are left out.
 */
export async function registerRestDocs(app: FastifyInstance, options: { version?: string } = {}): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'BSN gateway REST API', version: options.version ?? '0.1.0', description: 'Per app chain: transactions, blocks, receipts, calls and kv state. Every request is signed with a certificate of the network PKI (docs/gateway-auth.md).' },
      components: { securitySchemes },
    },
    hideUntagged: true,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
}

/**
 * An authenticator from a node's config: its network root, the operator CA chain of its TLS
 * certificate, and its CRLs. A certificate bound to an app may call only that app; one without an
 * app (an org certificate) may call any app the node hosts.
 */
export function restAuthenticatorFromConfig(config: NodeConfig, overrides: Partial<AuthenticatorOptions> = {}): RequestAuthenticator {
  return new RequestAuthenticator({
    rootPem: readFileSync(config.network.rootCert, 'utf8'),
    intermediatePems: config.tls.chain.map((f) => readFileSync(f, 'utf8')),
    crlPems: config.network.crls.map((f) => readFileSync(f, 'utf8')),
    authorize: (identity, appId) => identity.app === undefined || identity.app === appId,
    ...overrides,
  });
}
