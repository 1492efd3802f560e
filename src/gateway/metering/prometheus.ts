import { Counter, type Registry } from 'prom-client';

/*
 * The gateway's Prometheus counters, on the node's registry (served at the node's /metrics).
 * Per app only: callers are unbounded, so they stay in the store's usage rows.
 */

export interface GatewayCounters {
  readonly requests: Counter<'app'>;
  readonly requestBytes: Counter<'app'>;
  readonly responseBytes: Counter<'app'>;
  readonly txs: Counter<'app'>;
  readonly gas: Counter<'app'>;
  readonly refusals: Counter<'app' | 'quota'>;
}

/** The counters on `registry`, reused when a gateway of the same process registered them before. */
export function gatewayCounters(registry: Registry): GatewayCounters {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    requests: counter('bsn_gateway_requests_total', 'Requests to /apps/:appId/ (HTTP requests and WebSocket messages)', ['app']),
    requestBytes: counter('bsn_gateway_request_bytes_total', 'Request body bytes received', ['app']),
    responseBytes: counter('bsn_gateway_response_bytes_total', 'Response body bytes sent', ['app']),
    txs: counter('bsn_gateway_txs_total', 'Transactions accepted by the mempool through the gateway', ['app']),
    gas: counter('bsn_gateway_gas_total', 'Gas used by committed EVM transactions submitted through the gateway', ['app']),
    refusals: counter('bsn_gateway_quota_refusals_total', 'Requests and transactions refused for a quota (429)', ['app', 'quota']),
  };
}
