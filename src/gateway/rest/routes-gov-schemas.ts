import { hash, hex } from './routes-schemas.js';

/*
 * JSON Schemas of the /gov routes (routes-gov.ts). The records are the contract of
 * src/execution/gov/types.ts; the schemas name their main fields for the OpenAPI document and
 * let every other field through (`additionalProperties`), so a field the state machine adds
 * reaches clients without a second edit here.
 */

const TAG = 'governance';
/** Reads are public (the registry is the network's public record); a submitted tx is itself signed. */
const common = { tags: [TAG], security: [] as Record<string, string[]>[] };
/** The REST error body; a tx that failed in its block also names its gov `reason` and `height`. */
const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, height: { type: 'integer' } } } },
} as const;
const errors = (...codes: number[]) => Object.fromEntries([404, ...codes].map((c) => [c, errorSchema]));

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
// OpenAPI 3.0 wants `required` absent rather than empty.
const open = <P extends Record<string, unknown>>(properties: P, required: readonly (keyof P & string)[] = []) => ({ type: 'object', additionalProperties: true, properties, ...(required.length > 0 && { required }) }) as const;
const list = (items: unknown) => ({ type: 'array', items }) as const;

const status = { type: 'string', enum: ['active', 'suspended', 'removed'] } as const;
export const operatorSchema = open({ name: str, caCertPem: str, caFingerprint: str, subject: str, admins: list(str), status, since: int }, ['name', 'status']);
export const nodeSchema = open({ name: str, operator: str, certPem: str, fingerprint: str, publicKey: str, region: str, city: str, p2p: str, gateway: str, power: int, status, since: int }, ['name', 'operator', 'status']);
export const orgSchema = open({ name: str, operator: str, certPem: str, fingerprint: str, roles: list(str), trustCode: str, contact: str, status, since: int }, ['name', 'status']);
export const revocationSchema = open({ issuer: str, issuerFingerprint: str, serial: str, fingerprint: str, subject: str, reason: str, time: int, height: int, proposal: str }, ['issuer', 'serial']);
export const planSchema = open({ name: str, requestsPerSecond: { type: 'number' }, txPerDay: { type: 'number' }, storageMiB: { type: 'number' }, pricePerNodeMonth: { type: 'number' }, currency: str }, ['name']);
/** Rules, thresholds and proposal arguments are unions; they are passed through as they are. */
const anything = { type: 'object', additionalProperties: true } as const;
export const ruleSchema = open({ action: str, clauses: list(anything) }, ['action']);
export const appSchema = open({ id: str, owner: str, framework: str, placement: list(str), members: list(anything), status: str }, ['id']);
export const validatorSchema = open({ name: str, publicKey: str, power: int }, ['name', 'power']);
const voteSchema = open({ voter: str, fingerprint: str, yes: { type: 'boolean' }, height: int, tx: str });
export const proposalSchema = open(
  {
    id: str,
    action: str,
    args: anything,
    proposer: str,
    proposerFingerprint: str,
    height: int,
    createdAt: int,
    expiresAt: int,
    clauses: list(anything),
    votes: list(voteSchema),
    status: { type: 'string', enum: ['open', 'executed', 'rejected', 'expired', 'failed'] },
    decidedHeight: int,
    error: str,
  },
  ['id', 'action', 'status'],
);
export const registrySchema = open(
  {
    height: int,
    rootCertPem: str,
    rootFingerprint: str,
    minValidators: int,
    authority: open({ name: str, certPem: str, fingerprint: str }),
    operators: list(operatorSchema),
    nodes: list(nodeSchema),
    orgs: list(orgSchema),
    revocations: list(revocationSchema),
    plans: list(planSchema),
    rules: list(ruleSchema),
    apps: list(appSchema),
  },
  ['height', 'operators', 'nodes'],
);

/** The list routes: path segment, what the query returns, summary. */
export const GOV_LISTS = {
  operators: [operatorSchema, 'The operators'],
  nodes: [nodeSchema, 'The city nodes'],
  orgs: [orgSchema, 'The registered orgs'],
  rules: [ruleSchema, 'The rule of each action'],
  proposals: [proposalSchema, 'Every proposal, newest first'],
  revocations: [revocationSchema, 'The certificates revoked on the chain'],
  plans: [planSchema, 'Plans and prices'],
  apps: [appSchema, 'The app records'],
  validators: [validatorSchema, 'The validators of gov in force at the next height'],
} as const;
export type GovListPath = keyof typeof GOV_LISTS;

export const listSchema = (path: GovListPath) => ({
  ...common,
  summary: GOV_LISTS[path][1],
  response: { 200: { ...list(GOV_LISTS[path][0]), description: 'read at the committed gov height in the x-bsn-height header' }, ...errors() },
});

export const registryRouteSchema = {
  ...common,
  summary: 'The whole committed registry',
  response: { 200: registrySchema, ...errors() },
} as const;

export const proposalRouteSchema = {
  ...common,
  summary: 'One proposal, with its votes and status',
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{16,128}$', description: 'the proposal id (hex)' } } },
  response: { 200: proposalSchema, ...errors(400) },
} as const;

export const nonceRouteSchema = {
  ...common,
  summary: "A signer's next gov nonce",
  params: {
    type: 'object',
    required: ['fingerprint'],
    properties: { fingerprint: { type: 'string', pattern: '^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2}){31}$', description: "SHA-256 fingerprint of the signer's certificate DER (colon hex, as openssl prints it)" } },
  },
  response: { 200: { type: 'object', required: ['fingerprint', 'nonce', 'height'], properties: { fingerprint: str, nonce: int, height: int } }, ...errors(400) },
} as const;

export const govSubmitSchema = {
  ...common,
  summary: 'Submit a signed gov transaction (a proposal or a vote)',
  querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'string', enum: ['commit'] } } },
  body: { type: 'object', additionalProperties: false, required: ['tx'], properties: { tx: { ...hex('the signed gov transaction (src/execution/gov/types.ts)'), minLength: 4 } } },
  response: {
    200: { type: 'object', required: ['hash', 'height', 'code'], properties: { hash, height: int, code: str, proposal: proposalSchema } },
    202: { type: 'object', required: ['hash'], properties: { hash } },
    ...errors(400, 413, 422, 503, 504),
  },
} as const;
