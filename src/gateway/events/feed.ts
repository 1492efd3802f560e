import type { CommitListener } from '../subscriptions.js';
import { eventIndex, type AppEvent, type AppEventSource, type EventSpec, type Position } from './source.js';

/*
 * One consumer's walk through an app's events: from its position, height by height up to the
 * committed head, then woken by the CommitPoller for each new height. Backfill and live delivery
 * are the same loop, so events always arrive in (height, index) order, one at a time.
 */

export interface FeedOptions {
  readonly source: AppEventSource;
  readonly spec: EventSpec;
  /** The first position to deliver. */
  readonly from: Position;
  /**
   * Delivers one event; resolves true once it is done (sent, or acknowledged), false when the
   * consumer is stopping and the event must not count as delivered.
   */
  readonly deliver: (event: AppEvent) => Promise<boolean>;
  /** The position moved: after a delivered event (`delivered`), or past a height with nothing (more) to deliver. */
  readonly onAdvance?: (next: Position, delivered: boolean) => Promise<void>;
  /** Back-pressure: while true the feed waits, checking again every `retryMs`. */
  readonly paused?: () => boolean;
  /** How long to wait after a read error or while paused; 100 ms by default. */
  readonly retryMs?: number;
  readonly onError: (err: unknown) => void;
}

/** How soon to look again at a height whose block is stored but not yet committed by the app. */
const NOT_READY_MS = 10;

export class EventFeed implements CommitListener<AppEventSource> {
  private next: Position;
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: FeedOptions) {
    this.next = options.from;
  }

  /** The first position not delivered yet. */
  get position(): Position {
    return this.next;
  }

  start(): void {
    this.options.source.poller.attach(this);
    this.wake();
  }

  /** Stops the feed; resolves once no delivery is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.options.source.poller.detach(this);
    await this.idle;
  }

  async onBlock(): Promise<void> {
    // Never awaited by the poller: one slow consumer must not hold up the others.
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.pump().finally(() => {
      this.running = false;
    });
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.stopped);
    } catch (err) {
      if (this.stopped) return;
      this.options.onError(err);
      this.later();
    }
  }

  private later(ms = this.options.retryMs ?? 100): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, ms);
  }

  private async drain(): Promise<void> {
    const { source, spec, deliver, onAdvance, paused } = this.options;
    while (!this.stopped && this.next.height <= source.height) {
      if (paused?.()) return this.later();
      const height = this.next.height;
      const events = await source.events(height, spec);
      if (!events) return this.later(NOT_READY_MS);
      for (const event of events) {
        if (eventIndex(event) < this.next.index) continue;
        if (this.stopped || !(await deliver(event))) return;
        this.next = { height, index: eventIndex(event) + 1 };
        await onAdvance?.(this.next, true);
        if (paused?.()) return this.later();
      }
      if (this.stopped) return;
      this.next = { height: height + 1, index: 0 };
      await onAdvance?.(this.next, false);
    }
  }
}
