import { EventFeed } from './feed.js';
import type { AppEvent, AppEventSource, EventSpec, Position } from './source.js';
import { signWebhook, WEBHOOK_HEADERS } from './webhook-signature.js';
import type { WebhookDefinition, WebhookState, WebhookStore } from './webhook-store.js';
import { WebhookBadUrlError } from './errors.js';
import { postPinned } from './webhook-post.js';
import { InternalAllowList, resolveWebhookTarget, type WebhookTarget } from './webhook-url.js';

/*
 * The delivery of one webhook: its events in order, one request in flight, each retried with
 * backoff until a 2xx. The cursor is saved after each acknowledged event, so a gateway restart
 * resends from the first event that was not acknowledged (at least once, never skipped).
 */

export interface WebhookOptions {
  /** First retry delay, ms (the delay doubles per failed attempt, with jitter). */
  readonly retryBaseMs: number;
  /** Largest retry delay, ms. */
  readonly retryMaxMs: number;
  /** After an event failed for this long the webhook is marked failing; retries go on. */
  readonly maxAgeMs: number;
  /** A request not answered within this is a failed attempt. */
  readonly timeoutMs: number;
  /** Webhooks per app. */
  readonly maxPerApp: number;
  /** When set, the only hosts webhooks may post to (`host` exact, `.example.com` any subdomain). */
  readonly allowedHosts?: readonly string[];
  /** Hosts (`host`, `.suffix`) and address ranges (`10.0.0.0/8`, `::1`) that may be internal addresses; none by default. */
  readonly allowInternal?: readonly string[];
  /** How often a cursor that only moved past heights without events is saved, ms. */
  readonly persistEveryMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { retryBaseMs: 1000, retryMaxMs: 5 * 60_000, maxAgeMs: 24 * 3600_000, timeoutMs: 10_000, maxPerApp: 100, persistEveryMs: 1000 };

/**
 * The wait after failed attempt `attempt` (1-based): exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so that hooks failing together do not
 * retry in lockstep.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Stable per event and webhook: the receiver's deduplication key. */
export const idempotencyKey = (webhookId: string, event: AppEvent): string => (event.type === 'log' ? `${webhookId}:${event.height}:${event.logIndex}` : `${webhookId}:${event.height}`);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class WebhookWorker {
  private current: WebhookState;
  private readonly feed: EventFeed;
  private readonly abort = new AbortController();
  private writes: Promise<void> = Promise.resolve();
  private savedAt = 0;
  private dirty = false;
  private readonly allowInternal: InternalAllowList;

  constructor(
    readonly definition: WebhookDefinition,
    state: WebhookState,
    source: AppEventSource,
    spec: EventSpec,
    private readonly store: WebhookStore,
    private readonly options: WebhookOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    this.current = state;
    this.allowInternal = new InternalAllowList(options.allowInternal);
    this.feed = new EventFeed({ source, spec, from: state.next, deliver: (e) => this.deliver(e), onAdvance: (next, delivered) => this.advance(next, delivered), onError, retryMs: 500 });
  }

  get state(): WebhookState {
    return this.current;
  }

  start(): void {
    this.feed.start();
  }

  /** Stops delivery (an attempt under way is aborted and not counted) and saves the cursor. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.feed.stop();
    if (this.dirty) this.save();
    await this.writes;
  }

  private save(): void {
    const state = this.current;
    this.dirty = false;
    this.savedAt = Date.now();
    // A failed write only means a resend after a restart (the cursor lags): at least once still holds.
    this.writes = this.writes.then(() => this.store.saveState(this.definition.appId, this.definition.id, state)).catch(this.onError);
  }

  private async advance(next: Position, delivered: boolean): Promise<void> {
    this.current = { ...this.current, next };
    // An acknowledged event moves the cursor durably at once; empty heights can wait a little.
    if (delivered || Date.now() - this.savedAt >= this.options.persistEveryMs) this.save();
    else this.dirty = true;
    await this.writes;
  }

  private async deliver(event: AppEvent): Promise<boolean> {
    const { id, appId } = this.definition;
    const key = idempotencyKey(id, event);
    const body = JSON.stringify({ webhookId: id, appId, idempotencyKey: key, event });
    while (!this.abort.signal.aborted) {
      const pending = this.current.pending?.key === key ? this.current.pending : undefined;
      const attempt = (pending?.attempts ?? 0) + 1;
      const error = await this.post(body, key, attempt);
      if (this.abort.signal.aborted) return false;
      const now = Date.now();
      if (error === undefined) {
        this.current = { ...this.current, delivered: this.current.delivered + 1, lastDeliveredHeight: event.height, lastDeliveredAt: now, pending: null, failing: false, lastError: null, nextAttemptAt: null };
        return true;
      }
      const firstFailureAt = pending?.firstFailureAt ?? now;
      const delay = retryDelay(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
      this.current = {
        ...this.current,
        pending: { key, attempts: attempt, firstFailureAt },
        totalFailures: this.current.totalFailures + 1,
        failing: now - firstFailureAt >= this.options.maxAgeMs,
        lastError: error,
        nextAttemptAt: now + delay,
      };
      this.save();
      await this.writes;
      await sleep(delay, this.abort.signal);
    }
    return false;
  }

  /** One attempt: undefined on a 2xx, else why it failed (coarse: see DeliveryFailure). */
  private async post(body: string, key: string, attempt: number): Promise<string | undefined> {
    const timestamp = Date.now();
    let target: WebhookTarget;
    try {
      // Checked again at each attempt, on the address the host resolves to now: the allow-lists
      // may have changed since the hook was made, and so may the name's addresses.
      target = await resolveWebhookTarget(this.definition.url, this.options.allowedHosts, this.allowInternal);
    } catch (err) {
      if (err instanceof WebhookBadUrlError) return 'address not allowed';
      return 'connection failed';
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'bsn-gateway-webhooks/1',
      [WEBHOOK_HEADERS.signature]: signWebhook(this.definition.secret, timestamp, body),
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.idempotencyKey]: key,
      [WEBHOOK_HEADERS.attempt]: String(attempt),
      [WEBHOOK_HEADERS.webhookId]: this.definition.id,
    };
    return postPinned(target, body, headers, this.options.timeoutMs, this.abort.signal);
  }
}
