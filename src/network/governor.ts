import type { Logger } from 'pino';
import { BsnError } from '../errors.js';
import { appGenesis, GOV_CHAIN_ID, type GovRegistry } from '../execution/index.js';
import { PeerRevokedError, type AdmissionPolicy, type PeerIdentity } from '../p2p/index.js';
import { parseCertificateDer } from '../pki/index.js';
import { parseGenesis, type CityNode } from '../node/index.js';

/** A peer the registry does not admit: its operator is not admitted (yet), or it was suspended or removed. */
export class PeerNotAdmittedError extends BsnError {
  readonly code = 'GOV_PEER_NOT_ADMITTED';
}

/** What the governor needs of the governance chain's state machine (GovApplication). */
export interface RegistrySource {
  registry(): GovRegistry;
}

/** What the gateway's request authenticator takes from the registry (RequestAuthenticator.updateRegistry). */
export interface RegistryListener {
  updateRegistry(view: { readonly operatorCaPems: readonly string[]; readonly refusals: ReadonlyMap<string, string> }): void;
}

/**
 * Who may be a peer, as the registry says: a certificate the chain revoked (the node's, or its
 * operator CA's) is refused as revoked; a node of an operator the chain has not admitted or has
 * suspended or removed, and a node the chain suspended or removed, are refused as not admitted.
 * A node of an admitted operator that is not (yet) in the registry is admitted: it is a follower
 * that syncs `gov` until governance adds it.
 */
export function admissionPolicy(registry: GovRegistry): AdmissionPolicy {
  const revoked = new Map(registry.revocations.map((r) => [r.fingerprint, r]));
  const operators = new Map(registry.operators.map((o) => [o.caFingerprint, o]));
  const nodes = new Map(registry.nodes.map((n) => [n.fingerprint, n]));
  return (peer: PeerIdentity, issuerChainDer: readonly Uint8Array[]) => {
    const own = revoked.get(peer.fingerprint);
    if (own) return new PeerRevokedError(`${peer.name}: revoked on the governance chain at height ${own.height} (${own.reason})`);
    const issuerDer = issuerChainDer[0];
    const issuer = issuerDer ? parseCertificateDer(issuerDer).fingerprint : undefined;
    const operator = issuer === undefined ? undefined : operators.get(issuer);
    if (!operator) return new PeerNotAdmittedError(`${peer.name}: its operator CA '${peer.operator}' is not admitted on the governance chain`);
    const caRevoked = revoked.get(operator.caFingerprint);
    if (caRevoked) return new PeerRevokedError(`${peer.name}: the CA of operator ${operator.name} was revoked on the governance chain at height ${caRevoked.height}`);
    if (operator.status !== 'active') return new PeerNotAdmittedError(`${peer.name}: operator ${operator.name} is ${operator.status}`);
    const node = nodes.get(peer.fingerprint);
    if (node && node.status !== 'active') return new PeerNotAdmittedError(`${peer.name}: the node is ${node.status} on the governance chain`);
    return undefined;
  };
}

/** The gateway's view: admitted operator CAs, and the certificates refused with why. */
export function gatewayView(registry: GovRegistry): { operatorCaPems: string[]; refusals: Map<string, string> } {
  const refusals = new Map<string, string>();
  for (const r of registry.revocations) refusals.set(r.fingerprint, `was revoked on the governance chain at height ${r.height} (${r.reason})`);
  for (const o of registry.operators) if (o.status !== 'active' && !refusals.has(o.caFingerprint)) refusals.set(o.caFingerprint, `is the CA of operator ${o.name}, which is ${o.status}`);
  for (const org of registry.orgs) if (org.status !== 'active' && !refusals.has(org.fingerprint)) refusals.set(org.fingerprint, `belongs to org ${org.name}, which is ${org.status}`);
  const operatorCaPems = registry.operators.filter((o) => o.status === 'active').map((o) => o.caCertPem);
  return { operatorCaPems, refusals };
}

/**
 * Makes a city node obey its governance chain, live: after every `gov` commit, the registry's
 * admission policy goes to the peer manager (refused peers are dropped at once), its view to the
 * gateway, and every active node's p2p address becomes a peer to dial (config files keep only
 * bootstrap addresses). The chain's validator changes need nothing here: the chain runner takes
 * them from the block that decides them.
 */
export class Governor {
  private readonly dialled = new Set<string>();
  /** App chains this governor started (config-file chains are never stopped by it). */
  private readonly activated = new Set<string>();
  /** App chains being started or stopped now. */
  private readonly changing = new Set<string>();
  private stopListening: (() => void) | undefined;
  private appliedHeight = -1;

  private constructor(
    private readonly node: CityNode,
    private readonly source: RegistrySource,
    private readonly listeners: readonly RegistryListener[],
    private readonly log: Logger,
  ) {}

  /** Starts obeying `gov` when the node hosts it; undefined when it does not. */
  static attach(node: CityNode, listeners: readonly RegistryListener[], log: Logger): Governor | undefined {
    const app = node.chains.get(GOV_CHAIN_ID)?.app as Partial<RegistrySource> | undefined;
    if (!app || typeof app.registry !== 'function') return undefined;
    const governor = new Governor(node, app as RegistrySource, listeners, log.child({ module: 'governor' }));
    governor.apply();
    governor.stopListening = node.onCommitted(GOV_CHAIN_ID, () => governor.apply());
    return governor;
  }

  /** The height of the registry last put in force. */
  get height(): number {
    return this.appliedHeight;
  }

  stop(): void {
    this.stopListening?.();
  }

  /** Puts the committed registry in force; never throws (a failure is logged, the old policy stays). */
  apply(): void {
    let registry: GovRegistry;
    try {
      registry = this.source.registry();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not read the governance registry');
      return;
    }
    if (registry.height === this.appliedHeight) return;
    this.appliedHeight = registry.height;
    const dropped = this.node.peers.setAdmission(admissionPolicy(registry));
    if (dropped.length > 0) this.log.warn({ height: registry.height, peers: dropped.map((p) => p.name) }, 'peers the governance chain refuses were dropped');
    const view = gatewayView(registry);
    for (const listener of this.listeners) listener.updateRegistry(view);
    this.dialRegistryNodes(registry);
    this.placeApps(registry);
    this.log.info({ height: registry.height, operators: registry.operators.length, nodes: registry.nodes.length, revocations: registry.revocations.length }, 'governance registry in force');
  }

  /**
   * Hosts every active (or frozen: it still serves reads) app placed on this node, from the
   * genesis its record fixes, and stops hosting the ones this node started that are retired or
   * placed elsewhere now. Their data stays in the store.
   */
  private placeApps(registry: GovRegistry): void {
    const self = registry.nodes.find((n) => n.fingerprint === this.node.peers.selfFingerprint);
    for (const app of registry.apps) {
      if (this.changing.has(app.id)) continue;
      const placed = self !== undefined && app.placement.includes(self.name) && (app.status === 'active' || app.status === 'frozen');
      const hosted = this.node.chains.has(app.id);
      if (placed && !hosted) this.change(app.id, 'host', async () => {
        const genesis = appGenesis(registry, app.id)!;
        await this.node.hostChain(parseGenesis(JSON.stringify(genesis), `the genesis of app '${app.id}' (gov height ${registry.height})`));
        this.activated.add(app.id);
      });
      else if (placed && hosted && !this.activated.has(app.id) && app.status === 'active') this.log.warn({ app: app.id }, 'an app of the registry has the id of a chain this node hosts from its config: not started');
      else if (!placed && hosted && this.activated.has(app.id)) this.change(app.id, 'unhost', async () => {
        await this.node.unhostChain(app.id);
        this.activated.delete(app.id);
      });
    }
  }

  private change(appId: string, what: 'host' | 'unhost', step: () => Promise<void>): void {
    this.changing.add(appId);
    const started = Date.now();
    step().then(
      () => this.log.info({ app: appId, ms: Date.now() - started }, what === 'host' ? 'started an app chain placed here by governance' : 'stopped an app chain governance moved away or retired'),
      (err: unknown) => this.log.error({ app: appId, err: (err as Error).message, code: (err as { code?: string }).code }, `could not ${what} an app chain`),
    ).finally(() => this.changing.delete(appId));
  }

  private dialRegistryNodes(registry: GovRegistry): void {
    const self = this.node.peers.selfFingerprint;
    for (const n of registry.nodes) {
      if (n.status !== 'active' || n.fingerprint === self || !n.p2p || this.dialled.has(n.fingerprint)) continue;
      const at = n.p2p.lastIndexOf(':');
      const port = Number(n.p2p.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) continue;
      this.dialled.add(n.fingerprint);
      this.node.peers.addPersistentPeer({ host: n.p2p.slice(0, at), port, name: n.name, fingerprint: n.fingerprint });
    }
  }
}
