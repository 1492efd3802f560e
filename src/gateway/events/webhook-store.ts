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
  /** The HMAC key. Kept in clear: the gateway must sign with it. Shown to the admin once. */
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

export class WebhookStore {
  constructor(private readonly db: GatewaySublevel) {}

  async create(definition: WebhookDefinition, state: WebhookState): Promise<void> {
    await this.db.batch([
      { type: 'put', key: defKey(definition.appId, definition.id), value: JSON.stringify(definition) },
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
      const definition = JSON.parse(value) as WebhookDefinition;
      const state = await this.db.get(stateKey(definition.appId, definition.id));
      if (state !== undefined) out.push({ definition, state: JSON.parse(state) as WebhookState });
    }
    return out;
  }
}
