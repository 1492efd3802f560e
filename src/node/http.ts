import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BsnError } from '../errors.js';
import type { CityNode } from './city-node.js';
import { splitHostPort } from './config.js';

const MAX_TX_BODY = 1024 * 1024;
const COMMIT_WAIT_MS = 30_000;

/** The node's operations endpoint: health, Prometheus metrics, status, and raw tx submission. */
export async function startHttp(node: CityNode, listen: string): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    handle(node, req, res).catch((err: unknown) => reply(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } }));
  });
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, address: `${host}:${a.port}` };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(node: CityNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  if (parts[0] === 'chains' && parts.length === 3 && parts[2] === 'txs' && req.method === 'POST') {
    const body = await readBody(req, MAX_TX_BODY);
    if (body === undefined) return reply(res, 413, { error: { code: 'HTTP_BODY_TOO_LARGE', message: `a transaction body is at most ${MAX_TX_BODY} bytes` } });
    const chainId = parts[1]!;
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
      if (err instanceof BsnError) return reply(res, err.code === 'NODE_COMMIT_TIMEOUT' ? 504 : err.code === 'MEMPOOL_FULL' ? 503 : 400, { error: { code: err.code, message: err.message } });
      throw err;
    }
  }
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
      if (err instanceof BsnError) return reply(res, 400, { error: { code: err.code, message: err.message } });
      throw err;
    }
  }
  reply(res, 404, { error: { code: 'HTTP_NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
}

/** The body, or undefined when it is longer than `limit` (the rest is not read into memory). */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
