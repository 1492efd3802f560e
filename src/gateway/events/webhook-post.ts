import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookTarget } from './webhook-url.js';

/*
 * One webhook POST to the address the target was resolved to (no second lookup: see
 * webhook-url.ts). TLS still checks the certificate against the URL's host name, and the Host
 * header is the URL's. Redirects are not followed: they could point anywhere.
 */

/**
 * How an attempt failed, coarse on purpose: an app admin sees it in the webhook's status, and
 * finer reasons (ECONNREFUSED against ENOTFOUND, exact status codes) would let them map what
 * the gateway's network can reach.
 */
export type DeliveryFailure = 'HTTP 3xx' | 'HTTP 4xx' | 'HTTP 5xx' | 'HTTP status not 2xx' | 'no answer in time' | 'connection failed';

export function statusFailure(status: number): DeliveryFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status >= 300 && status < 400) return 'HTTP 3xx';
  if (status >= 400 && status < 500) return 'HTTP 4xx';
  if (status >= 500 && status < 600) return 'HTTP 5xx';
  return 'HTTP status not 2xx';
}

/** Posts `body`; resolves undefined on a 2xx, else the coarse failure. Never rejects. */
export function postPinned(target: WebhookTarget, body: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<DeliveryFailure | undefined> {
  const { url } = target;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: DeliveryFailure | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = request(
      {
        host: target.address,
        family: target.family,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        // SNI and the certificate check use the name, not the pinned address.
        servername: url.hostname.startsWith('[') ? undefined : url.hostname,
        headers: { ...headers, host: url.host, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
      },
      (res: IncomingMessage) => {
        res.resume();
        done(statusFailure(res.statusCode ?? 0));
        req.destroy();
      },
    );
    const timer = setTimeout(() => {
      done('no answer in time');
      req.destroy();
    }, timeoutMs);
    const onAbort = (): void => {
      done('connection failed');
      req.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', () => done('connection failed'));
    req.end(body);
  });
}
