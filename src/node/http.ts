import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BsnError } from '../errors.js';
import type { CityNode } from './city-node.js';
import { splitHostPort } from './config.js';
import { NodeListenError, TxOutcomeError } from './errors.js';

const MAX_TX_BODY = 1024 * 1024;
const COMMIT_WAIT_MS = 30_000;
/** How much of an oversized body is read and dropped so that the 413 reaches the client; past it the connection is cut. */
const MAX_DISCARD = 16 * 1024 * 1024;

export interface OperationsOptions {
  /**
   * The bearer token that `/chains/*` (raw tx submission, queries and EVM calls, blocks) requires.
   * Without one those routes answer 403: they bypass the gateway's authentication, limits and
   * quotas, so only an operator who holds the token may use them.
   */
  readonly token?: string;
  readonly log?: Logger;
}

/**
 * The node's operations endpoint: health, Prometheus metrics and status for anyone who can reach
 * it (loopback by default), and, for holders of the operations token, raw tx submission, queries
 * and block reads.
 */
export async function startHttp(node: CityNode, listen: string, options: OperationsOptions = {}): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    handle(node, options.token, req, res).catch((err: unknown) => {
      // The message may name files, peers or internals: it goes to the log, not to the client.
      options.log?.error({ err: (err as Error).message, url: req.url }, 'operations request failed');
      reply(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });
  const { host, port } = splitHostPort(listen);
  if (!isLoopback(host)) options.log?.warn({ listen }, 'the operations endpoint listens beyond loopback: /health, /status and /metrics are open to whoever reaches it');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (cause) {
    throw new NodeListenError('operations', listen, cause);
  }
  const a = server.address() as AddressInfo;
  return { server, address: `${host}:${a.port}` };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') && timingSafeEqual(digest(header.slice('Bearer '.length)), digest(token));
}

async function handle(node: CityNode, token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://node');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return reply(res, 200, { ok: true, name: node.config.name });
  if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, node.status());
  if (req.method === 'GET' && url.pathname === '/metrics') {
    const { contentType, body } = await node.metrics.render();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
    return;
  }
  if (parts[0] === 'chains') {
    if (token === undefined) return reply(res, 403, { error: { code: 'HTTP_OPS_TOKEN_NOT_CONFIGURED', message: 'this node has no operations token (http.token or http.tokenFile): /chains/* is closed; use the gateway' } });
    if (!authorized(req, token)) return reply(res, 401, { error: { code: 'HTTP_OPS_TOKEN_REQUIRED', message: 'send the operations token as Authorization: Bearer <token>' } }, { 'www-authenticate': 'Bearer' });
  }
  if (parts[0] === 'chains' && parts.length === 3 && parts[2] === 'txs' && req.method === 'POST') return submitTx(node, parts[1]!, url, req, res);
  if (parts[0] === 'chains' && parts.length === 4 && parts[2] === 'blocks' && req.method === 'GET') {
    const chain = node.chains.get(parts[1]!);
    const height = Number(parts[3]);
    if (!chain) return reply(res, 404, { error: { code: 'NODE_UNKNOWN_CHAIN', message: `unknown chain '${parts[1]}'` } });
    const block = Number.isSafeInteger(height) ? await chain.store.block(height) : undefined;
    if (!block) return reply(res, 404, { error: { code: 'NODE_UNKNOWN_BLOCK', message: `no block at height '${parts[3]}'` } });
    return reply(res, 200, { height, block: Buffer.from(block).toString('base64') });
  }
  if (parts[0] === 'chains' && parts.length === 4 && parts[2] === 'query' && req.method === 'GET') {
    const chain = node.chains.get(parts[1]!);
    if (!chain) return reply(res, 404, { error: { code: 'NODE_UNKNOWN_CHAIN', message: `unknown chain '${parts[1]}'` } });
    const data = url.searchParams.get('data') ?? '';
    if (!/^([0-9a-f]{2})*$/.test(data)) return reply(res, 400, { error: { code: 'HTTP_BAD_QUERY', message: 'data must be lowercase hex' } });
    try {
      const result = await chain.app.query(parts[3]!, Buffer.from(data, 'hex'));
      return reply(res, 200, { height: result.height, value: result.value === undefined ? null : Buffer.from(result.value).toString('hex') });
    } catch (err) {
      if (err instanceof BsnError) return reply(res, statusOf(err.code), { error: { code: err.code, message: err.message } });
      throw err;
    }
  }
  reply(res, 404, { error: { code: 'HTTP_NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
}

async function submitTx(node: CityNode, chainId: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_TX_BODY);
  if (body === undefined) return reply(res, 413, { error: { code: 'HTTP_BODY_TOO_LARGE', message: `a transaction body is at most ${MAX_TX_BODY} bytes` } }, { connection: 'close' });
  if (!node.chains.has(chainId)) return reply(res, 404, { error: { code: 'NODE_UNKNOWN_CHAIN', message: `this node does not host chain '${chainId}'` } });
  try {
    const cancel = new AbortController();
    const waiter = url.searchParams.get('wait') === 'commit' ? node.commitWaiter(chainId, body, COMMIT_WAIT_MS, cancel.signal) : undefined;
    // When submit refuses the tx (a client's retry gets MEMPOOL_DUPLICATE) nobody awaits the
    // waiter: it is cancelled, and its rejection must not be an unhandled one, which ends the process.
    waiter?.catch(() => undefined);
    const { hash } = await node.submit(chainId, body).catch((err: unknown) => {
      cancel.abort();
      throw err;
    });
    if (!waiter) return reply(res, 202, { hash });
    const height = await waiter;
    return reply(res, 200, { hash, height });
  } catch (err) {
    if (err instanceof TxOutcomeError) return reply(res, err.statusCode, { error: { code: err.code, message: err.message, height: err.height, index: err.index, result: err.resultCode } });
    if (err instanceof BsnError) return reply(res, statusOf(err.code), { error: { code: err.code, message: err.message } });
    throw err;
  }
}

function statusOf(code: string): number {
  if (code === 'NODE_COMMIT_TIMEOUT' || code === 'EVM_CALL_TIMEOUT') return 504;
  if (code === 'MEMPOOL_FULL' || code === 'MEMPOOL_BUSY' || code === 'EVM_CALL_BUSY') return 503;
  // Included in a block, but the application did not execute it: the request was fine, the tx failed.
  if (code === 'NODE_TX_NOT_EXECUTED') return 422;
  return 400;
}

/**
 * The body, or undefined when it is longer than `limit`. The excess is read and dropped rather
 * than left unread: ending the stream early destroys the socket, and the 413 would never arrive.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + MAX_DISCARD) req.destroy();
    });
    req.once('end', () => resolve(size > limit ? undefined : new Uint8Array(Buffer.concat(chunks))));
    req.once('error', reject);
    // Cut off past MAX_DISCARD: no 'end' comes, and the request is over.
    req.once('close', () => resolve(undefined));
  });
}
