import { BsnError } from '../../errors.js';
import { EventsDuplicateIdError, EventsTooManySubscriptionsError, EventsUnknownSubscriptionError } from './errors.js';
import { EventFeed } from './feed.js';
import type { AppEvent, AppEventSource } from './source.js';
import { parseEventSpec, parseFromHeight } from './spec.js';
import { decodeClientMessage, messageId, parseJsonMessage, type ClientMessage } from './ws-messages.js';

/*
 * One WebSocket connection of GET /apps/:appId/events: its subscriptions, each an EventFeed that
 * pushes `{ id, event }` in height order. A bad message is answered with an error message and
 * changes nothing; the socket stays open.
 */

export interface WsLimits {
  /** Live subscriptions per connection. */
  readonly maxSubscriptions: number;
  /** Largest client message, bytes. */
  readonly maxMessageBytes: number;
  /** Feeds wait while the socket has more than this many bytes queued (a slow reader). */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = { maxSubscriptions: 32, maxMessageBytes: 16 * 1024, maxBufferedBytes: 4 * 1024 * 1024 };

/** The part of a `ws` WebSocket used here (the package ships no types in this project). */
export interface EventWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Buffer | string) => void): void;
  on(event: 'close', listener: () => void): void;
}

const OPEN = 1;

export class EventSocket {
  private readonly feeds = new Map<string, EventFeed>();
  private closed = false;

  constructor(
    private readonly socket: EventWebSocket,
    private readonly source: AppEventSource,
    private readonly limits: WsLimits,
    private readonly onError: (err: unknown) => void,
  ) {
    socket.on('message', (data) => this.onMessage(typeof data === 'string' ? data : data.toString('utf8')));
    socket.on('close', () => void this.close());
  }

  /** Stops every feed (the socket closed, or the gateway is closing). */
  async close(): Promise<void> {
    this.closed = true;
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((f) => f.stop()));
  }

  private onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = parseJsonMessage(text, this.limits.maxMessageBytes);
      this.handle(decodeClientMessage(parsed));
    } catch (err) {
      if (!(err instanceof BsnError)) {
        this.onError(err);
        return this.send({ op: 'error', error: { code: 'EVENTS_INTERNAL', message: 'internal error' } });
      }
      const id = messageId(parsed);
      this.send({ op: 'error', ...(id !== undefined && { id }), error: { code: err.code, message: err.message } });
    }
  }

  private handle(message: ClientMessage): void {
    if (message.op === 'unsubscribe') {
      const feed = this.feeds.get(message.id);
      if (!feed) throw new EventsUnknownSubscriptionError(`no subscription '${message.id}' on this connection`);
      this.feeds.delete(message.id);
      void feed.stop();
      return this.send({ op: 'unsubscribed', id: message.id });
    }
    if (this.feeds.has(message.id)) throw new EventsDuplicateIdError(`subscription '${message.id}' already exists on this connection`);
    if (this.feeds.size >= this.limits.maxSubscriptions) throw new EventsTooManySubscriptionsError(`at most ${this.limits.maxSubscriptions} subscriptions per connection`);
    const spec = parseEventSpec(message.type, message.filter, this.source.hasLogs);
    const fromHeight = parseFromHeight(message.fromHeight, this.source.height);
    const { id } = message;
    const feed = new EventFeed({
      source: this.source,
      spec,
      from: { height: fromHeight, index: 0 },
      deliver: async (event) => this.push(id, event),
      paused: () => this.socket.bufferedAmount > this.limits.maxBufferedBytes,
      onError: this.onError,
    });
    this.feeds.set(id, feed);
    // The acknowledgement goes out before any event of the subscription.
    this.send({ op: 'subscribed', id, fromHeight });
    feed.start();
  }

  private push(id: string, event: AppEvent): boolean {
    // An event read just before an unsubscribe is dropped, not sent after the acknowledgement.
    if (!this.feeds.has(id)) return false;
    this.send({ id, event });
    return true;
  }

  private send(message: unknown): void {
    if (!this.closed && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }
}
