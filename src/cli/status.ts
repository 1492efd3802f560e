import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GovRegistry, NodeRecord, OperatorRecord, RecordStatus } from '../execution/gov/types.js';
import { devnetStatus, gatewayUrl, type DevnetLayout, type NodeHealth } from '../network/devnet.js';
import { CA_FILES } from '../pki/index.js';
import { GovClient } from '../sdk/gov-client.js';

/*
 * `bsn status` (docs/node.md, docs/governance.md "Commands"): the health of the layout's nodes
 * from their operations endpoints, and the governance registry read through the first gateway
 * that answers. The registry is the source of truth for which nodes the network has (issue 12):
 * it lists nodes governance added that the layout file never heard of. This lives in the CLI
 * layer because it joins the network layer (the layout, devnetStatus) and the sdk (GovClient).
 */

/** How a registry node is doing, as far as this machine can tell. */
export type LiveHealth =
  /** `ops`: the layout's node, by its operations /status; `gateway`: its registry gateway answers for gov. */
  | { readonly state: 'up'; readonly via: 'ops' | 'gateway'; readonly govHeight?: number }
  | { readonly state: 'down'; readonly via: 'ops' | 'gateway'; readonly error: string }
  /** Neither in the layout nor with a gateway in the registry: nothing to ask. */
  | { readonly state: 'unknown'; readonly reason: string };

export interface RegistryNodeView {
  readonly name: string;
  readonly operator: string;
  readonly region: string;
  readonly city?: string;
  readonly status: RecordStatus;
  /** A revocation of the registry names this node's certificate. */
  readonly revoked: boolean;
  /** In gov's validator set in force at the next height, with a positive power. */
  readonly validator: boolean;
  readonly power: number;
  readonly gateway?: string;
  /** The layout (devnet.json) has a node of this name. */
  readonly inLayout: boolean;
  readonly health: LiveHealth;
}

export interface RegistryOperatorView {
  readonly name: string;
  readonly status: RecordStatus;
  /** A revocation names the operator's CA certificate. */
  readonly revoked: boolean;
  readonly subject: string;
  readonly nodes: readonly string[];
}

export interface RegistryStatus {
  /** The committed gov height the registry was read at. */
  readonly height: number;
  /** The gateway it was read through. */
  readonly via: string;
  readonly nodes: readonly RegistryNodeView[];
  readonly operators: readonly RegistryOperatorView[];
  /** Nodes of the layout the registry does not list. */
  readonly notInRegistry: readonly string[];
}

/** The registry could not be read: why, in one line. */
export interface RegistryUnavailable {
  readonly error: string;
}

export type RegistryReport = RegistryStatus | RegistryUnavailable;

export interface NetworkStatus {
  readonly ok: boolean;
  readonly nodes: readonly NodeHealth[];
  readonly registry: RegistryReport;
}

export const NO_HEALTH_ENDPOINT = 'no health endpoint known';
const PROBE_MS = 2000;

/** The network root an HTTPS gateway of the layout chains to; undefined for plain HTTP gateways. */
function gatewayCa(layout: DevnetLayout): string | undefined {
  const file = path.join(layout.dir, 'pki', 'root', CA_FILES.cert);
  return layout.gatewayTls && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

const isUp = (h: NodeHealth): boolean => h.status !== undefined && h.error === undefined;

/** Health of a layout node from what devnetStatus found at its operations endpoint. */
function opsHealth(h: NodeHealth): LiveHealth {
  if (!isUp(h)) return { state: 'down', via: 'ops', error: h.error ?? 'no status' };
  const gov = h.status!.chains.find((c) => c.chainId === 'gov');
  return { state: 'up', via: 'ops', ...(gov && { govHeight: gov.height }) };
}

/** Health of a node known only by its registry gateway: does it answer for gov, at what height. */
async function gatewayHealth(url: string, ca: string | undefined): Promise<LiveHealth> {
  try {
    const { height } = await new GovClient(url, { timeoutMs: PROBE_MS, ...(ca !== undefined && { ca }) }).validatorsAt();
    return { state: 'up', via: 'gateway', ...(height >= 0 && { govHeight: height }) };
  } catch (err) {
    return { state: 'down', via: 'gateway', error: (err as Error).message };
  }
}

/** Joins the registry's records with gov's validator set and the live health of each node. */
export async function registryStatus(registry: GovRegistry, validators: readonly { name: string; power: number }[], via: string, layout: DevnetLayout, health: readonly NodeHealth[]): Promise<RegistryStatus> {
  const revoked = new Set(registry.revocations.map((r) => r.fingerprint));
  const voting = new Set(validators.filter((v) => v.power > 0).map((v) => v.name));
  const ca = gatewayCa(layout);
  const healthOf = async (n: NodeRecord): Promise<LiveHealth> => {
    const own = health.find((h) => h.name === n.name);
    if (own) return opsHealth(own);
    return n.gateway !== undefined ? gatewayHealth(n.gateway, ca) : { state: 'unknown', reason: NO_HEALTH_ENDPOINT };
  };
  const nodes = await Promise.all(
    registry.nodes.map(async (n): Promise<RegistryNodeView> => ({
      name: n.name,
      operator: n.operator,
      region: n.region,
      ...(n.city !== undefined && { city: n.city }),
      status: n.status,
      revoked: revoked.has(n.fingerprint),
      validator: voting.has(n.name),
      power: n.power,
      ...(n.gateway !== undefined && { gateway: n.gateway }),
      inLayout: layout.nodes.some((l) => l.name === n.name),
      health: await healthOf(n),
    })),
  );
  const operators = registry.operators.map((o: OperatorRecord): RegistryOperatorView => ({
    name: o.name,
    status: o.status,
    revoked: revoked.has(o.caFingerprint),
    subject: o.subject,
    nodes: registry.nodes.filter((n) => n.operator === o.name).map((n) => n.name),
  }));
  const listed = new Set(registry.nodes.map((n) => n.name));
  return { height: registry.height, via, nodes, operators, notInRegistry: layout.nodes.map((n) => n.name).filter((n) => !listed.has(n)) };
}

/** The registry through the first gateway of the layout that answers for gov, or why not. */
export async function readRegistry(layout: DevnetLayout, health: readonly NodeHealth[] | Promise<readonly NodeHealth[]>): Promise<RegistryReport> {
  if (!layout.govChainId) return { error: 'this network has no governance chain: its layout was made before gov existed' };
  const urls = layout.nodes.map((n) => gatewayUrl(layout, n)).filter((u): u is string => u !== undefined);
  if (urls.length === 0) return { error: 'no node of this network has a gateway to read the registry through' };
  const ca = gatewayCa(layout);
  try {
    const client = await GovClient.connect(urls, { timeoutMs: PROBE_MS, ...(ca !== undefined && { ca }) });
    const [registry, { validators }] = await Promise.all([client.registry(), client.validatorsAt()]);
    return await registryStatus(registry, validators, client.baseUrl, layout, await health);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Everything `bsn status` reports; the registry is read while the nodes are asked. */
export async function networkStatus(layout: DevnetLayout): Promise<NetworkStatus> {
  const asked = devnetStatus(layout);
  const [health, registry] = await Promise.all([asked, readRegistry(layout, asked)]);
  return { ok: health.every(isUp), nodes: health, registry };
}

/** One line per layout node: its chains, peers and gateway, or why it is down. */
export function healthLines(health: readonly NodeHealth[]): string[] {
  return health.map((h) =>
    isUp(h)
      ? `${h.name}  ${h.status!.chains.map((c) => `${c.chainId} height ${c.height} ${c.round < 0 ? 'idle' : `round ${c.round}`} mempool ${c.mempool}`).join(', ')}  peers ${h.status!.peers.join(',') || '-'}${h.gateway ? `  gateway ${h.gateway} (${h.gatewayTls ? 'TLS' : 'plain HTTP'})` : ''}`
      : `${h.name}  down (${h.error})`,
  );
}

function healthText(h: LiveHealth, gateway: string | undefined): string {
  const height = (n: number | undefined) => (n === undefined ? '' : ` (gov height ${n})`);
  if (h.state === 'unknown') return h.reason;
  if (h.via === 'ops') return h.state === 'up' ? `up${height(h.govHeight)}` : `down (${h.error})`;
  return h.state === 'up' ? `gateway ${gateway} answers${height(h.govHeight)}` : `gateway ${gateway} down (${h.error})`;
}

const pad = (values: readonly string[]): ((v: string) => string) => {
  const width = Math.max(0, ...values.map((v) => v.length));
  return (v) => v.padEnd(width);
};

/** The registry's part of `bsn status`: a heading, one line per operator and per node. */
export function registryLines(report: RegistryReport): string[] {
  if ('error' in report) return [`registry not read: ${report.error}`];
  const name = pad(report.nodes.map((n) => n.name));
  const op = pad(report.nodes.map((n) => n.operator));
  const placeOf = (n: RegistryNodeView) => (n.city && n.city !== n.region ? `${n.region}/${n.city}` : n.region);
  const where = pad(report.nodes.map(placeOf));
  const state = (s: RecordStatus, revoked: boolean) => (revoked ? `${s}, revoked` : s);
  const states = pad(report.nodes.map((n) => state(n.status, n.revoked)));
  return [
    `registry at gov height ${report.height} (read through ${report.via}): ${report.operators.length} operators, ${report.nodes.length} nodes`,
    ...report.operators.map((o) => `  operator ${o.name}  ${state(o.status, o.revoked)}  ${o.subject}  nodes ${o.nodes.join(',') || '-'}`),
    ...report.nodes.map(
      (n) =>
        `  ${name(n.name)}  ${op(n.operator)}  ${where(placeOf(n))}  ${states(state(n.status, n.revoked))}  ${n.validator ? 'validator      ' : 'not a validator'}  ${healthText(n.health, n.gateway)}${n.inLayout ? '' : '  (not in the layout)'}`,
    ),
    ...(report.notInRegistry.length > 0 ? [`  not in the registry: ${report.notInRegistry.join(', ')} (in the layout only)`] : []),
  ];
}
