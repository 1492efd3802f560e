import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { WebhookBadUrlError } from './errors.js';

/*
 * Where a webhook may post. The gateway posts wherever an app admin points it, which includes
 * addresses only the gateway's host can reach (SSRF): `allowedHosts` restricts the hosts, and
 * whatever the host, the address it resolves to must not be internal (private, loopback,
 * link-local and cloud metadata, CGNAT, unique-local IPv6, multicast, reserved) unless the
 * operator lists that host or range in `allowInternal`. The check runs on the resolved address,
 * and the connection goes to that very address (resolveWebhookTarget), so a name that resolves
 * to a public address at the check and an internal one at connect (DNS rebinding) gets nowhere.
 */

export const MAX_URL_LENGTH = 2048;

/** Address ranges no webhook reaches unless allowed (IPv4-mapped IPv6 addresses match the IPv4 ones). */
const INTERNAL_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT (and Alibaba's metadata at 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, and the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
];
const INTERNAL_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: an IPv4 address in disguise
  ['100::', 64], // discard
  ['fc00::', 7], // unique local (AWS metadata is fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

function blockList(v4: readonly [string, number][], v6: readonly [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const INTERNAL = blockList(INTERNAL_V4, INTERNAL_V6);

/**
 * The operator's exceptions (`gateway.events.webhooks.allowInternal`): host names (exact, or
 * `.suffix` for subdomains) and addresses or CIDR ranges (`127.0.0.1`, `10.1.0.0/16`, `fd00::/8`).
 */
export class InternalAllowList {
  private readonly ranges = new BlockList();
  private readonly hosts: string[] = [];

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const family = isIP(address);
      if (family === 0) {
        if (prefix !== undefined) throw new WebhookBadUrlError(`allowInternal: '${entry}' is neither a host name nor an address range`);
        this.hosts.push(entry.toLowerCase());
        continue;
      }
      const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new WebhookBadUrlError(`allowInternal: '${entry}' has a bad prefix length`);
      this.ranges.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Whether `host` may resolve to `address` although the address is internal. */
  allows(host: string, address: string): boolean {
    return hostAllowed(host, this.hosts) || this.ranges.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Whether `address` (an IP literal) is internal: see INTERNAL_V4 and INTERNAL_V6. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether `host` (lower case, as URL.hostname gives it) is allowed: an exact entry, or a `.suffix` entry. */
export function hostAllowed(host: string, allowedHosts: readonly string[] | undefined): boolean {
  if (allowedHosts === undefined) return true;
  return allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('.') ? host.endsWith(e) && host.length > e.length : host === e;
  });
}

/** URL.hostname of an IPv6 literal keeps its brackets; the address has none. */
const bare = (hostname: string): string => (hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname);

/**
 * The URL, checked: absolute http(s), no credentials or fragment, allowed host, and, when the
 * host is an IP literal, not an internal address unless allowed. (A name is checked once
 * resolved, at delivery: resolveWebhookTarget.)
 */
export function checkWebhookUrl(text: string, allowedHosts?: readonly string[], allowInternal: InternalAllowList = new InternalAllowList()): URL {
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
  const host = url.hostname.toLowerCase();
  if (!hostAllowed(host, allowedHosts)) throw new WebhookBadUrlError(`url: host '${url.hostname.slice(0, 100)}' is not in this gateway's allowed webhook hosts`);
  const address = bare(host);
  if (isInternalAddress(address) && !allowInternal.allows(host, address)) throw new WebhookBadUrlError(`url: '${address}' is an internal address, which webhooks may not post to`);
  return url;
}

/** Where one delivery connects: the checked URL and the one address it resolved to. */
export interface WebhookTarget {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves the URL's host once and checks every address it resolves to (one internal address
 * refuses the host: which one a connection would use is not ours to choose); the delivery then
 * connects to the first, with no second lookup. WebhookBadUrlError when refused.
 */
export async function resolveWebhookTarget(text: string, allowedHosts: readonly string[] | undefined, allowInternal: InternalAllowList, resolve: (host: string) => Promise<{ address: string; family: number }[]> = (h) => lookup(h, { all: true, verbatim: true })): Promise<WebhookTarget> {
  const url = checkWebhookUrl(text, allowedHosts, allowInternal);
  const host = url.hostname.toLowerCase();
  const literal = bare(host);
  const addresses = isIP(literal) !== 0 ? [{ address: literal, family: isIP(literal) }] : await resolve(host);
  if (addresses.length === 0) throw new WebhookBadUrlError(`url: '${host.slice(0, 100)}' resolves to no address`);
  for (const { address } of addresses) {
    if (isInternalAddress(address) && !allowInternal.allows(host, address)) throw new WebhookBadUrlError(`url: '${host.slice(0, 100)}' resolves to an internal address, which webhooks may not post to`);
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
