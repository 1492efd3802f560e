// Metering of the gateway and the glue that puts quotas and metering on it (docs/gateway-quotas.md).
export { installAccounting, type Accounting, type AccountingOptions } from './accounting.js';
export { Meter, type MeterOptions, type UsageDay, type UsageReport } from './meter.js';
export { registerUsageRoute, MAX_USAGE_DAYS, type UsageRouteOptions } from './usage-route.js';
export { ANONYMOUS, callerOf } from './caller.js';
export type { Usage, UsageJson } from './usage.js';
