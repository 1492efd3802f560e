import { randomBytes } from 'node:crypto';
import { WebhookLimitError, WebhookNotFoundError } from './errors.js';
import type { EventSources } from './source.js';
import { filterJson, parseEventSpec, parseFromHeight, type FilterJson } from './spec.js';
import { newWebhookSecret } from './webhook-signature.js';
import { initialState, type StoredWebhook, type WebhookDefinition, type WebhookStore } from './webhook-store.js';
import { checkWebhookUrl, InternalAllowList } from './webhook-url.js';
import { WebhookWorker, type WebhookOptions } from './webhook-worker.js';

/*
 * The webhooks of every app this node hosts: made, listed and deleted by the routes, delivered by
 * one WebhookWorker each. Definitions and cursors live in the gateway store, so `start` picks up
 * where the last gateway process stopped.
 */

export interface CreateWebhookInput {
  readonly url: string;
  readonly type: unknown;
  readonly filter?: unknown;
  readonly fromHeight?: unknown;
}

/** A webhook as the routes show it: never its secret. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly type: 'blocks' | 'logs';
  readonly filter?: FilterJson;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly status: {
    /** active: nothing failing; retrying: the current event failed at least once; failing: for longer than the max age. */
    readonly state: 'active' | 'retrying' | 'failing';
    /** The height of the first event not acknowledged yet (or of the next block to look at). */
    readonly nextHeight: number;
    readonly lastDeliveredHeight: number | null;
    readonly lastDeliveredAt: number | null;
    readonly delivered: number;
    /** Failed attempts of the event being retried (0 when none is). */
    readonly failures: number;
    readonly totalFailures: number;
    readonly lastError: string | null;
    /** When the next retry is due (ms since the epoch), while retrying. */
    readonly nextAttemptAt: number | null;
  };
}

const keyOf = (appId: string, id: string): string => `${appId}!${id}`;

function viewOf(worker: WebhookWorker): WebhookView {
  const { id, url, type, filter, createdAt, createdBy } = worker.definition;
  const s = worker.state;
  return {
    id,
    url,
    type,
    ...(filter && { filter }),
    createdAt,
    createdBy,
    status: {
      state: s.failing ? 'failing' : s.pending ? 'retrying' : 'active',
      nextHeight: s.next.height,
      lastDeliveredHeight: s.lastDeliveredHeight,
      lastDeliveredAt: s.lastDeliveredAt,
      delivered: s.delivered,
      failures: s.pending?.attempts ?? 0,
      totalFailures: s.totalFailures,
      lastError: s.lastError,
      nextAttemptAt: s.pending ? s.nextAttemptAt : null,
    },
  };
}

export class WebhookDispatcher {
  private readonly workers = new Map<string, WebhookWorker>();
  private stopped = false;

  constructor(
    private readonly store: WebhookStore,
    private readonly sources: EventSources,
    private readonly options: WebhookOptions,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Resumes the stored webhooks of the apps this node hosts (others stay stored, untouched). */
  async start(): Promise<void> {
    for (const stored of await this.store.list()) {
      if (!this.sources.get(stored.definition.appId)) continue;
      try {
        this.run(stored);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /** Makes a webhook and starts delivering to it; the secret is returned here only. */
  async create(appId: string, input: CreateWebhookInput, createdBy: string): Promise<{ webhook: WebhookView; secret: string }> {
    const source = this.sources.get(appId);
    if (!source) throw new WebhookNotFoundError(`this node hosts no app '${appId.slice(0, 100)}'`);
    const url = checkWebhookUrl(input.url, this.options.allowedHosts, new InternalAllowList(this.options.allowInternal));
    const spec = parseEventSpec(input.type, input.filter, source.hasLogs);
    const fromHeight = parseFromHeight(input.fromHeight, source.height);
    if (this.list(appId).length >= this.options.maxPerApp) throw new WebhookLimitError(`app '${appId}' already has ${this.options.maxPerApp} webhooks`);
    const filter = filterJson(spec);
    const definition: WebhookDefinition = { id: `wh_${randomBytes(12).toString('hex')}`, appId, url: url.href, type: spec.type, ...(filter && { filter }), secret: newWebhookSecret(), createdAt: Date.now(), createdBy };
    const state = initialState(fromHeight);
    await this.store.create(definition, state);
    const worker = this.run({ definition, state });
    return { webhook: viewOf(worker), secret: definition.secret };
  }

  list(appId: string): WebhookView[] {
    return [...this.workers.values()].filter((w) => w.definition.appId === appId).map(viewOf).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  get(appId: string, id: string): WebhookView {
    return viewOf(this.worker(appId, id));
  }

  /** Stops a webhook's delivery and forgets it (an attempt under way is aborted). */
  async remove(appId: string, id: string): Promise<void> {
    const worker = this.worker(appId, id);
    this.workers.delete(keyOf(appId, id));
    await worker.stop();
    await this.store.delete(appId, id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.stop()));
  }

  private worker(appId: string, id: string): WebhookWorker {
    const worker = this.workers.get(keyOf(appId, id));
    if (!worker) throw new WebhookNotFoundError(`app '${appId}' has no webhook '${id.slice(0, 100)}'`);
    return worker;
  }

  private run({ definition, state }: StoredWebhook): WebhookWorker {
    const source = this.sources.get(definition.appId);
    if (!source) throw new WebhookNotFoundError(`webhook ${definition.id}: this node no longer hosts app '${definition.appId}'`);
    const spec = parseEventSpec(definition.type, definition.filter, source.hasLogs);
    const worker = new WebhookWorker(definition, state, source, spec, this.store, this.options, this.onError);
    this.workers.set(keyOf(definition.appId, definition.id), worker);
    if (!this.stopped) worker.start();
    return worker;
  }
}
