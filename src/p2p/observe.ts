import { channelName } from './messages.js';

/**
 * What the networking layer logs through. pino's `logger.info(obj, msg)` fits, so the node passes
 * its pino child logger; tests pass a recorder.
 */
export interface P2pLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: P2pLogger = { info: () => undefined, warn: () => undefined };

/** Counters of the networking layer, per node; the node renders them as Prometheus metrics. */
export interface P2pMetricsSnapshot {
  /** Gauges. */
  readonly peersConnected: number;
  readonly peersBanned: number;
  /** Counters since start. */
  readonly bansTotal: number;
  readonly messagesIn: Readonly<Record<string, number>>;
  readonly messagesOut: Readonly<Record<string, number>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly decodeErrors: number;
  readonly ignoredUnknownChain: number;
  readonly ignoredUnknownChannel: number;
  readonly duplicateTransactions: number;
  readonly refusedConnections: number;
  /** Transaction gossip not sent to a peer that was not reading (H4). */
  readonly shedMessages: number;
  /** Connections dropped because a CRL revoked the peer (H6). */
  readonly revokedDrops: number;
  /** Block requests refused by the per-peer rate limit. */
  readonly syncRateLimited: number;
}

/** Mutable counters shared by the peer manager, the router and block sync of one node. */
export class P2pCounters {
  bansTotal = 0;
  bytesIn = 0;
  bytesOut = 0;
  decodeErrors = 0;
  ignoredUnknownChain = 0;
  ignoredUnknownChannel = 0;
  duplicateTransactions = 0;
  refusedConnections = 0;
  shedMessages = 0;
  revokedDrops = 0;
  syncRateLimited = 0;
  private readonly inByChannel = new Map<string, number>();
  private readonly outByChannel = new Map<string, number>();

  /** `frameBytes` counts the 5-byte frame header too: it is what crossed the wire. */
  received(channel: number, frameBytes: number): void {
    bump(this.inByChannel, channelName(channel));
    this.bytesIn += frameBytes;
  }

  sent(channel: number, frameBytes: number): void {
    bump(this.outByChannel, channelName(channel));
    this.bytesOut += frameBytes;
  }

  snapshot(gauges: { peersConnected: number; peersBanned: number }): P2pMetricsSnapshot {
    return {
      ...gauges,
      bansTotal: this.bansTotal,
      messagesIn: Object.fromEntries(this.inByChannel),
      messagesOut: Object.fromEntries(this.outByChannel),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      decodeErrors: this.decodeErrors,
      ignoredUnknownChain: this.ignoredUnknownChain,
      ignoredUnknownChannel: this.ignoredUnknownChannel,
      duplicateTransactions: this.duplicateTransactions,
      refusedConnections: this.refusedConnections,
      shedMessages: this.shedMessages,
      revokedDrops: this.revokedDrops,
      syncRateLimited: this.syncRateLimited,
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** A loggable summary of an error: the stable code where there is one. */
export function errorFields(err: unknown): { code?: string; error: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { code, error: err.message } : { error: err.message };
  }
  return { error: String(err) };
}
