import type { GatewaySublevel } from '../store.js';
import type { Position } from './source.js';
import type { FilterJson } from './spec.js';

/*
 * Webhooks in the gateway store (sublevel 'webhooks'): the definition, written once, and the
 * delivery state, rewritten as the cursor moves. The cursor `next` is advanced only after the
 * receiver acknowledged an event, so after a restart delivery resumes at the first event that
 * was not acknowledged. Keys: `def!<appId>!<id>` and `state!<appId>!<id>` (app ids have no '!').
 */

export interface WebhookDefinition {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  readonly type: 'blocks' | 'logs';
  readonly filter?: FilterJson;
  /** The HMAC key, shown to the admin once. In the store it is sealed by the vault when the gateway has one (see WebhookStore). */
  readonly secret: string;
  readonly createdAt: number;
  /** The subject of the admin certificate that created it. */
  readonly createdBy: string;
}

/** The event being retried: its idempotency key, failed attempts so far, first failure time. */
export interface PendingDelivery {
  readonly key: string;
  readonly attempts: number;
  readonly firstFailureAt: number;
}

export interface WebhookState {
  /** The first event not acknowledged yet. */
  readonly next: Position;
  readonly delivered: number;
  readonly lastDeliveredHeight: number | null;
  readonly lastDeliveredAt: number | null;
  readonly pending: PendingDelivery | null;
  readonly totalFailures: number;
  /** The pending event has failed for longer than the max age; cleared by the next 2xx. */
  readonly failing: boolean;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
}

export const initialState = (fromHeight: number): WebhookState => ({
  next: { height: fromHeight, index: 0 },
  delivered: 0,
  lastDeliveredHeight: null,
  lastDeliveredAt: null,
  pending: null,
  totalFailures: 0,
  failing: false,
  lastError: null,
  nextAttemptAt: null,
});

export interface StoredWebhook {
  readonly definition: WebhookDefinition;
  readonly state: WebhookState;
}

const defKey = (appId: string, id: string): string => `def!${appId}!${id}`;
const stateKey = (appId: string, id: string): string => `state!${appId}!${id}`;

/** What seals a secret at rest under an owner string, and opens it (the gateway's HostedKeyVault). */
export interface SecretSealer {
  seal(plaintext: Uint8Array, owner: string): string;
  unseal(sealed: string, owner: string): Uint8Array;
}

/** The owner a webhook's secret is sealed under: a sealed secret copied onto another webhook does not open. */
const ownerOf = (appId: string, id: string): string => `${appId}/webhook/${id}`;

/**
 * With a sealer (a gateway with users has the vault), secrets are stored sealed like hosted
 * keys (`v1.<base64>`), so a copy of the store does not give away the keys that sign
 * deliveries; without one they are stored as they are. Either kind is read back.
 */
export class WebhookStore {
  constructor(
    private readonly db: GatewaySublevel,
    private readonly sealer?: SecretSealer,
  ) {}

  private sealed(definition: WebhookDefinition): WebhookDefinition {
    if (!this.sealer) return definition;
    return { ...definition, secret: this.sealer.seal(Buffer.from(definition.secret, 'utf8'), ownerOf(definition.appId, definition.id)) };
  }

  private opened(stored: WebhookDefinition): WebhookDefinition {
    if (!this.sealer || !stored.secret.startsWith('v1.')) return stored;
    return { ...stored, secret: Buffer.from(this.sealer.unseal(stored.secret, ownerOf(stored.appId, stored.id))).toString('utf8') };
  }

  async create(definition: WebhookDefinition, state: WebhookState): Promise<void> {
    await this.db.batch([
      { type: 'put', key: defKey(definition.appId, definition.id), value: JSON.stringify(this.sealed(definition)) },
      { type: 'put', key: stateKey(definition.appId, definition.id), value: JSON.stringify(state) },
    ]);
  }

  async saveState(appId: string, id: string, state: WebhookState): Promise<void> {
    await this.db.put(stateKey(appId, id), JSON.stringify(state));
  }

  async delete(appId: string, id: string): Promise<void> {
    await this.db.batch([
      { type: 'del', key: defKey(appId, id) },
      { type: 'del', key: stateKey(appId, id) },
    ]);
  }

  /** Every webhook, or those of one app, in key order. */
  async list(appId?: string): Promise<StoredWebhook[]> {
    const prefix = appId === undefined ? 'def!' : `def!${appId}!`;
    const out: StoredWebhook[] = [];
    for await (const [, value] of this.db.iterator({ gte: prefix, lt: `${prefix}\xff` })) {
      const definition = this.opened(JSON.parse(value) as WebhookDefinition);
      const state = await this.db.get(stateKey(definition.appId, definition.id));
      if (state !== undefined) out.push({ definition, state: JSON.parse(state) as WebhookState });
    }
    return out;
  }
}
