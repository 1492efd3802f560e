import { address, appParams, common, errors, hash, hex } from './routes-schemas.js';

/*
 * JSON Schemas of the routes of docs/gateway-users.md: get a transaction, users, hosted-user
 * transactions and API keys. Like routes-schemas.ts, they validate requests, shape responses and
 * make the OpenAPI document.
 */

const userName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'the user name (its certificate CN), unique per app' } as const;
const userParams = { ...appParams, required: ['appId', 'name'], properties: { ...appParams.properties, name: userName } } as const;
const decimal = (what: string) => ({ type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$', description: what }) as const;

export const txSchema = {
  ...common('transactions', 'read'),
  summary: 'A transaction by hash: pending (in this node\'s mempool) or committed (height, index)',
  params: { ...appParams, required: ['appId', 'hash'], properties: { ...appParams.properties, hash } },
  response: {
    200: {
      type: 'object',
      required: ['hash', 'status', 'result', 'height', 'index', 'raw', 'from', 'nonce'],
      properties: {
        hash,
        status: { type: 'string', enum: ['pending', 'committed', 'failed'], description: 'failed: in a block, but the tx failed (result.code says why; result.executed false: it changed nothing)' },
        result: { anyOf: [{ type: 'object', required: ['ok', 'code', 'executed'], properties: { ok: { type: 'boolean' }, code: { type: 'string' }, executed: { type: 'boolean' } } }, { type: 'null' }] },
        height: { type: ['integer', 'null'] },
        index: { type: ['integer', 'null'], description: 'position in the BSN block (the txs of GET blocks/:height)' },
        raw: hex('the raw transaction'),
        from: { type: ['string', 'null'], description: 'the sender: 0x-address (EVM), 40 hex digits (kv)' },
        nonce: { type: ['integer', 'null'] },
        kv: {
          type: 'object',
          properties: {
            suite: { type: 'string' },
            publicKey: hex('the sender key'),
            ops: { type: 'array', items: { type: 'object', required: ['op', 'key'], properties: { op: { type: 'string', enum: ['put', 'delete'] }, key: hex('key'), value: hex('value') } } },
          },
        },
        evm: {
          type: 'object',
          properties: { type: { type: 'integer' }, to: { anyOf: [address, { type: 'null' }] }, value: decimal('wei'), gas: decimal('gas limit'), data: hex('calldata') },
        },
      },
    },
    ...errors(400, 403, 409),
  },
} as const;

const user = {
  type: 'object',
  required: ['name', 'mode', 'certificate', 'serial', 'fingerprint', 'suite', 'notAfter', 'createdAt'],
  properties: {
    name: userName,
    mode: { type: 'string', enum: ['own-key', 'hosted'] },
    certificate: { type: 'string', description: 'the user certificate, PEM' },
    serial: { type: 'string', description: 'lower-case hex' },
    fingerprint: { type: 'string', description: 'SHA-256 of the certificate DER, colon hex' },
    suite: { type: 'string' },
    notAfter: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    address: { type: 'string', description: 'hosted users: the sender address of the transactions the gateway signs for them' },
  },
} as const;

export const createUserSchema = {
  ...common('users'),
  summary: 'Register a user of the app (admin): own-key (a CSR) or hosted (the gateway makes and keeps the key)',
  params: appParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'mode'],
    properties: {
      name: userName,
      mode: { type: 'string', enum: ['own-key', 'hosted'] },
      csr: { type: 'string', minLength: 1, maxLength: 16384, description: 'own-key: a PKCS#10 request, PEM' },
      suite: { type: 'string', enum: ['ecdsa-p256', 'sm2', 'ed25519'], description: "hosted: the key's suite (the CA's by default)" },
    },
  },
  response: { 201: user, ...errors(400, 403, 409, 413, 503) },
} as const;

export const listUsersSchema = {
  ...common('users'),
  summary: 'The users of the app (admin)',
  params: appParams,
  response: { 200: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: user } } }, ...errors(403, 409, 503) },
} as const;

export const getUserSchema = {
  ...common('users'),
  summary: 'One user of the app (admin)',
  params: userParams,
  response: { 200: user, ...errors(400, 403, 409, 503) },
} as const;

export const deleteUserSchema = {
  ...common('users'),
  summary: 'Delete a user (admin): its certificate is refused by this gateway from now on; its hosted keys are erased',
  params: userParams,
  response: { 204: { type: 'null' }, ...errors(400, 403, 409, 503) },
} as const;

export const hostedTxSchema = {
  ...common('users'),
  summary: "Submit a transaction signed with a hosted user's key (admin): kv { key, value }, EVM { to?, data?, value?, gas? }",
  params: userParams,
  querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'string', enum: ['commit'] } } },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      key: { ...hex('kv: the key'), minLength: 4, maxLength: 514 },
      value: { type: 'string', maxLength: 2 + 2 * 65536, pattern: '^(0x([0-9a-fA-F]{2})*|0|[1-9][0-9]{0,77})$', description: 'kv: the value, 0x-hex; EVM: wei, decimal' },
      to: address,
      data: { ...hex('EVM: calldata'), maxLength: 2 + 2 * 131072 },
      gas: { type: 'integer', minimum: 21000, maximum: Number.MAX_SAFE_INTEGER, description: 'EVM: gas limit (estimated when absent)' },
    },
  },
  response: {
    200: { type: 'object', required: ['hash', 'from', 'nonce', 'height'], properties: { hash, from: { type: 'string' }, nonce: { type: 'integer' }, height: { type: 'integer' } } },
    202: { type: 'object', required: ['hash', 'from', 'nonce'], properties: { hash, from: { type: 'string' }, nonce: { type: 'integer' } } },
    ...errors(400, 403, 409, 413, 503, 504),
  },
} as const;

const apiKey = {
  type: 'object',
  required: ['id', 'createdAt', 'createdBy'],
  properties: { id: { type: 'string' }, label: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, createdBy: { type: 'string', description: "the admin certificate's fingerprint" } },
} as const;

export const createApiKeySchema = {
  ...common('apikeys'),
  summary: 'Make an API key for the read-only routes of the app (admin); the key is shown only in this answer',
  params: appParams,
  body: { type: 'object', additionalProperties: false, properties: { label: { type: 'string', minLength: 1, maxLength: 100 } } },
  response: {
    201: { type: 'object', required: ['id', 'key', 'createdAt'], properties: { id: { type: 'string' }, key: { type: 'string', description: 'send as x-api-key' }, label: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } } },
    ...errors(400, 403, 409, 413),
  },
} as const;

export const listApiKeysSchema = {
  ...common('apikeys'),
  summary: 'The API keys of the app (admin): ids and labels, never the keys',
  params: appParams,
  response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: apiKey } } }, ...errors(403, 409) },
} as const;

export const deleteApiKeySchema = {
  ...common('apikeys'),
  summary: 'Revoke an API key (admin)',
  params: { ...appParams, required: ['appId', 'id'], properties: { ...appParams.properties, id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } },
  response: { 204: { type: 'null' }, ...errors(400, 403, 409) },
} as const;
