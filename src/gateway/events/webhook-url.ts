import { WebhookBadUrlError } from './errors.js';

/*
 * Which URLs a webhook may post to. The gateway posts wherever an app admin points it, which
 * includes addresses only the gateway's host can reach (SSRF): `allowedHosts` restricts the
 * hosts; without it any http(s) host is accepted and egress filtering is the operator's job
 * (docs/gateway-events.md).
 */

export const MAX_URL_LENGTH = 2048;

/** Whether `host` (lower case, as URL.hostname gives it) is allowed: an exact entry, or a `.suffix` entry. */
export function hostAllowed(host: string, allowedHosts: readonly string[] | undefined): boolean {
  if (allowedHosts === undefined) return true;
  return allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('.') ? host.endsWith(e) && host.length > e.length : host === e;
  });
}

/** The URL, checked: absolute http(s), no credentials or fragment, allowed host. */
export function checkWebhookUrl(text: string, allowedHosts?: readonly string[]): URL {
  if (text.length > MAX_URL_LENGTH) throw new WebhookBadUrlError(`url: at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookBadUrlError('url: not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookBadUrlError(`url: the scheme must be http or https, not ${url.protocol.slice(0, 20)}`);
  // Credentials would be shown in every listing of the app's webhooks; the HMAC authenticates us.
  if (url.username !== '' || url.password !== '') throw new WebhookBadUrlError('url: credentials in the URL are not accepted');
  if (url.hash !== '') throw new WebhookBadUrlError('url: no fragment');
  if (!hostAllowed(url.hostname.toLowerCase(), allowedHosts)) throw new WebhookBadUrlError(`url: host '${url.hostname.slice(0, 100)}' is not in this gateway's allowed webhook hosts`);
  return url;
}
