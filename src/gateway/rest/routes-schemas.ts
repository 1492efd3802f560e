import { AUTH_HEADERS } from './canonical.js';

/*
 * JSON Schemas of the REST routes: fastify validates requests and serializes responses with
 * them, and @fastify/swagger turns them into the OpenAPI document served at /docs/json.
 */

/** The name of the OpenAPI security scheme (the X-BSN-* signed-request headers). */
export const SECURITY_SCHEME = 'bsnSignature';
/** The OpenAPI security scheme of read-only routes' alternative: an API key of the app. */
export const API_KEY_SCHEME = 'bsnApiKey';

export const hex = (what: string) => ({ type: 'string', pattern: '^0x([0-9a-fA-F]{2})*$', description: what }) as const;
export const hash = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$', description: '32-byte hash, 0x-hex' } as const;
export const address = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: '20-byte address, 0x-hex' } as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, data: { type: 'string' } },
    },
  },
} as const;

export const appParams = {
  type: 'object',
  required: ['appId'],
  properties: { appId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'the app (chain) id' } },
} as const;

export const errors = (...codes: number[]) => Object.fromEntries([401, 404, ...codes].map((c) => [c, errorSchema]));
/** Tags and security of a route: signed, or (read-only routes) signed or an API key. */
export const common = (tag: string, access: 'signed' | 'read' = 'signed'): { tags: string[]; security: Record<string, string[]>[] } => ({
  tags: [tag],
  security: access === 'read' ? [{ [SECURITY_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }] : [{ [SECURITY_SCHEME]: [] }],
});

export const submitSchema = {
  ...common('transactions'),
  summary: 'Submit a raw kv or EVM transaction',
  params: appParams,
  querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'string', enum: ['commit'] } } },
  body: { type: 'object', additionalProperties: false, required: ['tx'], properties: { tx: { ...hex('the raw transaction'), minLength: 4 } } },
  response: {
    200: { type: 'object', required: ['hash', 'height'], properties: { hash, height: { type: 'integer' } } },
    202: { type: 'object', required: ['hash'], properties: { hash } },
    ...errors(400, 403, 409, 413, 503, 504),
  },
} as const;

export const blockSchema = {
  ...common('blocks', 'read'),
  summary: 'A committed block',
  params: { ...appParams, required: ['appId', 'height'], properties: { ...appParams.properties, height: { type: 'integer', minimum: 1 } } },
  response: {
    200: {
      type: 'object',
      required: ['height', 'hash', 'time', 'txs', 'stateRoot', 'resultsRoot'],
      properties: { height: { type: 'integer' }, hash, time: { type: 'integer', description: 'ms since the epoch' }, txs: { type: 'array', items: hash }, stateRoot: hex('state root'), resultsRoot: hex('results root') },
    },
    ...errors(400, 403, 409),
  },
} as const;

const log = { type: 'object', required: ['address', 'topics', 'data'], properties: { address, topics: { type: 'array', items: hash }, data: hex('log data') } } as const;

export const receiptSchema = {
  ...common('evm', 'read'),
  summary: 'The receipt of a committed EVM transaction (404 until committed)',
  params: { ...appParams, required: ['appId', 'hash'], properties: { ...appParams.properties, hash } },
  response: {
    200: {
      type: 'object',
      required: ['txHash', 'height', 'index', 'from', 'to', 'status', 'code', 'gasUsed', 'contractAddress', 'logs', 'returnData'],
      properties: {
        txHash: hash,
        height: { type: 'integer' },
        index: { type: 'integer' },
        from: address,
        to: { anyOf: [address, { type: 'null' }] },
        status: { type: 'integer', enum: [0, 1] },
        code: { type: 'string' },
        gasUsed: { type: 'string', description: 'decimal' },
        contractAddress: { anyOf: [address, { type: 'null' }] },
        logs: { type: 'array', items: log },
        returnData: hex('revert data, or 0x'),
      },
    },
    ...errors(400, 403, 409),
  },
} as const;

export const callSchema = {
  ...common('evm', 'read'),
  summary: 'A read-only EVM call against committed state',
  params: appParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['to'],
    properties: { to: address, data: hex('calldata'), from: address, value: { type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$', description: 'wei, decimal' } },
  },
  response: { 200: { type: 'object', required: ['result'], properties: { result: hex('return data') } }, ...errors(400, 403, 409, 413) },
} as const;

export const stateSchema = {
  ...common('kv', 'read'),
  summary: 'The committed value of a kv key',
  params: { ...appParams, required: ['appId', 'key'], properties: { ...appParams.properties, key: { ...hex('the key'), minLength: 4, maxLength: 514 } } },
  response: {
    200: {
      type: 'object',
      required: ['key', 'value', 'owner', 'height'],
      properties: {
        key: hex('the key'),
        value: { anyOf: [hex('the value'), { type: 'null' }] },
        owner: { anyOf: [{ type: 'string', description: 'the kv address of the sender that first wrote the key, the only one who may change it' }, { type: 'null' }] },
        height: { type: 'integer' },
      },
    },
    ...errors(400, 403, 409),
  },
} as const;

/** The OpenAPI security scheme: the caller's certificate and signature headers (docs/gateway-auth.md). */
export const securitySchemes = {
  [SECURITY_SCHEME]: {
    type: 'apiKey',
    in: 'header',
    name: AUTH_HEADERS.signature,
    description: `A request signed by the caller's certificate key: ${Object.values(AUTH_HEADERS).join(', ')} (see docs/gateway-auth.md). ${AUTH_HEADERS.cert} or ${AUTH_HEADERS.certId}, ${AUTH_HEADERS.timestamp} and ${AUTH_HEADERS.nonce} are required with the signature.`,
  },
  [API_KEY_SCHEME]: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An API key of the app (made by its admin, docs/gateway-users.md); read-only routes only.',
  },
} as const;
