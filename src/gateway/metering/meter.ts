import type { Registry } from 'prom-client';
import type { CityNode } from '../../node/index.js';
import { EvmChainView } from '../jsonrpc/chain-view.js';
import { utcDay } from '../quota/limits.js';
import type { GatewaySublevel } from '../store.js';
import { gatewayCounters, type GatewayCounters } from './prometheus.js';
import { addUsage, emptyUsage, pendingKey, usageFromJson, usageKey, usageToJson, type Usage, type UsageJson } from './usage.js';

/*
 * Metering: counts per app, per caller, per UTC day, added up in memory and written to the
 * gateway store (sublevel 'meter') every flush interval and on close. Gas is known only once a
 * transaction commits: submitted EVM transactions wait in a pending list (also persisted) that
 * each flush resolves from the receipts, crediting the caller and the day of submission.
 */

export interface MeterOptions {
  readonly node: CityNode;
  /** The gateway store's 'meter' sublevel. */
  readonly db: GatewaySublevel;
  /** Where the Prometheus counters go (the node's registry); none when absent. */
  readonly registry?: Registry;
  /** ms between flushes; 5 s by default. */
  readonly flushIntervalMs?: number;
  /** How long a submitted transaction is waited for before its gas is given up; 1 h by default. */
  readonly pendingTtlMs?: number;
  readonly clock?: () => number;
  readonly onError?: (err: unknown) => void;
}

export interface UsageDay {
  readonly day: string;
  readonly total: UsageJson;
  readonly callers: Readonly<Record<string, UsageJson>>;
}

export interface UsageReport {
  readonly appId: string;
  readonly from: string;
  readonly to: string;
  readonly total: UsageJson;
  readonly days: readonly UsageDay[];
}

interface PendingTx {
  readonly appId: string;
  readonly hash: string;
  readonly caller: string;
  readonly day: string;
  readonly since: number;
}

function parsePending(text: string): PendingTx | undefined {
  try {
    const v = JSON.parse(text) as Partial<PendingTx>;
    const ok = typeof v.appId === 'string' && typeof v.hash === 'string' && /^0x[0-9a-f]{64}$/.test(v.hash) && typeof v.caller === 'string' && typeof v.day === 'string' && typeof v.since === 'number';
    return ok ? (v as PendingTx) : undefined;
  } catch {
    return undefined;
  }
}

/** Most submitted transactions awaiting their receipt; beyond it, gas of new ones is not metered. */
const MAX_PENDING = 100_000;

export class Meter {
  private deltas = new Map<string, Usage>();
  private readonly pending = new Map<string, PendingTx>();
  private pendingDirty = new Set<string>();
  private readonly views = new Map<string, EvmChainView | null>();
  private readonly counters: GatewayCounters | undefined;
  private readonly clock: () => number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(private readonly options: MeterOptions) {
    this.clock = options.clock ?? Date.now;
    this.counters = options.registry ? gatewayCounters(options.registry) : undefined;
    this.timer = setInterval(() => void this.flush().catch((err: unknown) => options.onError?.(err)), options.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  /** A meter that resumes the transactions still pending when the gateway last stopped. */
  static async open(options: MeterOptions): Promise<Meter> {
    const meter = new Meter(options);
    for await (const [key, value] of options.db.iterator({ gte: 'pending/', lt: 'pending0' })) {
      const tx = parsePending(value);
      if (tx) meter.pending.set(key, tx);
      else meter.pendingDirty.add(key); // damaged: deleted at the next flush
    }
    return meter;
  }

  /** Adds to the usage of (app, caller) today. */
  record(appId: string, caller: string, delta: Partial<Usage>): void {
    const key = usageKey(appId, utcDay(this.clock()), caller);
    addUsage(this.deltas.get(key) ?? this.deltas.set(key, emptyUsage()).get(key)!, delta);
    const c = this.counters;
    if (!c) return;
    if (delta.requests) c.requests.inc({ app: appId }, delta.requests);
    if (delta.requestBytes) c.requestBytes.inc({ app: appId }, delta.requestBytes);
    if (delta.responseBytes) c.responseBytes.inc({ app: appId }, delta.responseBytes);
    if (delta.txs) c.txs.inc({ app: appId }, delta.txs);
    if (delta.gas) c.gas.inc({ app: appId }, Number(delta.gas));
  }

  /** Counts a refusal for a quota (Prometheus only: the refused request is metered as a request). */
  refused(appId: string, quotaCode: string): void {
    this.counters?.refusals.inc({ app: appId, quota: quotaCode });
  }

  /** A transaction the mempool accepted: counted now, its gas once it commits (EVM apps only). */
  submitted(appId: string, caller: string, hash: string | undefined): void {
    this.record(appId, caller, { txs: 1 });
    if (hash === undefined || !/^0x[0-9a-f]{64}$/.test(hash) || this.pending.size >= MAX_PENDING || !this.view(appId)) return;
    const key = pendingKey(appId, hash);
    this.pending.set(key, { appId, hash, caller, day: utcDay(this.clock()), since: this.clock() });
    this.pendingDirty.add(key);
  }

  /** Resolves committed transactions' gas and writes every count so far; one flush at a time. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** Usage of `appId` from day `from` to day `to` (YYYY-MM-DD, inclusive), flushed first. */
  async usage(appId: string, from: string, to: string): Promise<UsageReport> {
    await this.flush();
    const total = emptyUsage();
    const days = new Map<string, { total: Usage; callers: Record<string, UsageJson> }>();
    for await (const [key, value] of this.options.db.iterator({ gte: `usage/${appId}/${from}/`, lt: `usage/${appId}/${to}0` })) {
      const [, , day, ...rest] = key.split('/');
      const usage = usageFromJson(value);
      const entry = days.get(day!) ?? days.set(day!, { total: emptyUsage(), callers: {} }).get(day!)!;
      addUsage(entry.total, usage);
      addUsage(total, usage);
      entry.callers[rest.join('/')] = usageToJson(usage);
    }
    return { appId, from, to, total: usageToJson(total), days: [...days].map(([day, e]) => ({ day, total: usageToJson(e.total), callers: e.callers })) };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async flushNow(): Promise<void> {
    // The counts are written even when receipts cannot be read (a node stopping first): the
    // pending transactions stay for the next flush.
    await this.resolveGas().catch((err: unknown) => this.options.onError?.(err));
    const deltas = this.deltas;
    this.deltas = new Map();
    const dirty = this.pendingDirty;
    this.pendingDirty = new Set();
    try {
      const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = [];
      for (const [key, delta] of deltas) {
        const stored = await this.options.db.get(key);
        ops.push({ type: 'put', key, value: JSON.stringify(usageToJson(addUsage(stored === undefined ? emptyUsage() : usageFromJson(stored), delta))) });
      }
      for (const key of dirty) {
        const tx = this.pending.get(key);
        ops.push(tx ? { type: 'put', key, value: JSON.stringify(tx) } : { type: 'del', key });
      }
      if (ops.length > 0) await this.options.db.batch(ops);
    } catch (err) {
      // Nothing was written (one batch): the counts go back, merged with any counted meanwhile,
      // for the next flush to write; dropping them would lose metered usage (review L8).
      for (const [key, delta] of deltas) {
        const newer = this.deltas.get(key);
        this.deltas.set(key, newer ? addUsage(newer, delta) : delta);
      }
      for (const key of dirty) this.pendingDirty.add(key);
      throw err;
    }
  }

  /** Credits the gas of pending transactions that committed; forgets those waited for too long. */
  private async resolveGas(): Promise<void> {
    const now = this.clock();
    const ttl = this.options.pendingTtlMs ?? 3_600_000;
    for (const [key, tx] of this.pending) {
      const receipt = await this.view(tx.appId)?.receipt(Buffer.from(tx.hash.slice(2), 'hex'));
      if (receipt) {
        const k = usageKey(tx.appId, tx.day, tx.caller);
        addUsage(this.deltas.get(k) ?? this.deltas.set(k, emptyUsage()).get(k)!, { gas: receipt.gasUsed });
        this.counters?.gas.inc({ app: tx.appId }, Number(receipt.gasUsed));
      } else if (now - tx.since <= ttl) continue;
      this.pending.delete(key);
      this.pendingDirty.add(key);
    }
  }

  private view(appId: string): EvmChainView | undefined {
    if (!this.views.has(appId)) this.views.set(appId, EvmChainView.of(this.options.node, appId) ?? null);
    return this.views.get(appId) ?? undefined;
  }
}
