import { Counter, Gauge, Histogram, Registry } from 'prom-client';

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

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
