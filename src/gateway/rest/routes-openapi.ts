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

/** What clients of this node's gateway sign as its identity: `gateway.id`, else the node's name. */
export const gatewayIdOf = (config: NodeConfig): string => config.gateway?.id ?? config.name;

/**
 * An authenticator from a node's config: its network root, every operator CA the config names
 * (its own `tls.chain` and `gateway.operatorCas`, so users of other operators are accepted: L1),
 * and its CRLs, required for every CA of a chain. The app rule is the default one (M1).
 */
export function restAuthenticatorFromConfig(config: NodeConfig, overrides: Partial<AuthenticatorOptions> = {}): RequestAuthenticator {
  const cas = [...new Set([...config.tls.chain, ...(config.gateway?.operatorCas ?? [])])];
  const auth = config.gateway?.auth;
  return new RequestAuthenticator({
    gateway: gatewayIdOf(config),
    rootPem: readFileSync(config.network.rootCert, 'utf8'),
    intermediatePems: cas.map((f) => readFileSync(f, 'utf8')),
    crlPems: config.network.crls.map((f) => readFileSync(f, 'utf8')),
    requireCrls: true,
    ...(auth?.windowMs !== undefined && { windowMs: auth.windowMs }),
    ...(auth?.futureSkewMs !== undefined && { futureSkewMs: auth.futureSkewMs }),
    ...(auth?.nonceCapacity !== undefined && { nonceCapacity: auth.nonceCapacity }),
    ...(auth?.noncesPerCertificate !== undefined && { noncesPerCertificate: auth.noncesPerCertificate }),
    ...overrides,
  });
}
