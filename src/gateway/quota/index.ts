// Per-app quotas of the gateway (docs/gateway-quotas.md).
export { limitsFor, QuotaError, QuotaRequestsPerSecondError, QuotaTxPerDayError, RPC_LIMIT_EXCEEDED, secondsToNextUtcDay, utcDay, type QuotaConfig, type QuotaLimits } from './limits.js';
export { Quotas, type QuotasOptions, type TxReservation } from './quotas.js';
export { TokenBucket } from './token-bucket.js';
export { TxDayCounter } from './day-counter.js';
