import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { P2pMetricsSnapshot } from '../p2p/index.js';

/**
 * Every metric of a city node, registered in one place (Lodestar's rule): one registry per
 * node process, labelled by chain where a value is per chain.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly height = new Gauge({ name: 'bsn_chain_height', help: 'Last committed height', labelNames: ['chain'], registers: [this.registry] });
  readonly round = new Gauge({ name: 'bsn_consensus_round', help: 'Current consensus round', labelNames: ['chain'], registers: [this.registry] });
  readonly mempoolSize = new Gauge({ name: 'bsn_mempool_txs', help: 'Transactions in the mempool', labelNames: ['chain'], registers: [this.registry] });
  readonly mempoolBytes = new Gauge({ name: 'bsn_mempool_bytes', help: 'Bytes in the mempool', labelNames: ['chain'], registers: [this.registry] });
  readonly committedTxs = new Counter({ name: 'bsn_committed_txs_total', help: 'Transactions committed (rate() gives tx/s)', labelNames: ['chain'], registers: [this.registry] });
  readonly commitLatency = new Histogram({
    name: 'bsn_commit_latency_seconds',
    help: 'Time from the start of a height to its commit',
    labelNames: ['chain'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly peers = new Gauge({ name: 'bsn_p2p_peers', help: 'Connected peers', registers: [this.registry] });
  readonly txRejected = new Counter({ name: 'bsn_mempool_rejected_total', help: 'Transactions refused at admission', labelNames: ['chain', 'code'], registers: [this.registry] });
  /** Seconds until each CRL's nextUpdate (negative once past): alert well before it reaches 0 (docs/pki.md). */
  readonly crlNextUpdate = new Gauge({ name: 'bsn_crl_next_update_seconds', help: "Seconds until a CRL's nextUpdate, by issuer", labelNames: ['issuer'], registers: [this.registry] });
  /** The process's V8 heap, read at each scrape (the flood bench and operators watch it for growth). */
  readonly heapUsed = new Gauge({ name: 'bsn_process_heap_used_bytes', help: 'V8 heap in use', registers: [this.registry], collect() { this.set(process.memoryUsage().heapUsed); } });

  /**
   * The networking layer's counters, read at each scrape: peers banned, bans, bytes and messages
   * by direction and channel, decode errors, refused connections, ignored and duplicate messages.
   */
  observeP2p(read: () => P2pMetricsSnapshot): void {
    const gauge = (name: string, help: string, value: (m: P2pMetricsSnapshot) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(value(read())); } });
    gauge('bsn_p2p_peers_banned', 'Peers banned now', (m) => m.peersBanned);
    gauge('bsn_p2p_bans', 'Bans since start', (m) => m.bansTotal);
    gauge('bsn_p2p_bytes_in', 'Bytes received from peers since start', (m) => m.bytesIn);
    gauge('bsn_p2p_bytes_out', 'Bytes sent to peers since start', (m) => m.bytesOut);
    gauge('bsn_p2p_decode_errors', 'Undecodable messages from peers since start', (m) => m.decodeErrors);
    gauge('bsn_p2p_refused_connections', 'Connections refused (handshake, identity, ban) since start', (m) => m.refusedConnections);
    gauge('bsn_p2p_ignored_unknown_chain', 'Messages for chains this node does not host', (m) => m.ignoredUnknownChain);
    gauge('bsn_p2p_duplicate_transactions', 'Gossiped transactions already seen', (m) => m.duplicateTransactions);
    gauge('bsn_p2p_shed_messages', 'Transaction gossip not sent to peers that were not reading', (m) => m.shedMessages);
    gauge('bsn_p2p_revoked_drops', 'Connections dropped because a reloaded CRL revoked the peer', (m) => m.revokedDrops);
    gauge('bsn_p2p_sync_rate_limited', 'Block requests refused by the per-peer rate limit', (m) => m.syncRateLimited);
    new Gauge({
      name: 'bsn_p2p_messages',
      help: 'Messages since start, by direction and channel',
      labelNames: ['direction', 'channel'],
      registers: [this.registry],
      collect() {
        const m = read();
        for (const [channel, n] of Object.entries(m.messagesIn)) this.set({ direction: 'in', channel }, n);
        for (const [channel, n] of Object.entries(m.messagesOut)) this.set({ direction: 'out', channel }, n);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
