import type { LatencySummary, RoundResult, TimelinePoint } from './result.js';

/*
 * What one round measured, and how the figures of RoundResult are computed from it (docs/bench.md,
 * "Figures"). Times are performance.now() milliseconds.
 */

export interface Outcome {
  readonly ok: boolean;
  /** When the transaction was seen committed (writes) or answered (reads). */
  readonly at: number;
  readonly reason?: string;
}

const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000];

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  if (latencies.length === 0) return { min: 0, avg: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(latencies).sort();
  const r = (x: number) => Math.round(x * 10) / 10;
  const sum = latencies.reduce((a, b) => a + b, 0);
  return { min: r(sorted[0]!), avg: r(sum / sorted.length), p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)), max: r(sorted[sorted.length - 1]!) };
}

export function histogram(latencies: readonly number[]): RoundResult['histogram'] {
  const max = latencies.reduce((a, b) => Math.max(a, b), 0);
  const bucketsMs = max > BUCKETS_MS[BUCKETS_MS.length - 1]! ? [...BUCKETS_MS, Math.ceil(max)] : BUCKETS_MS;
  const counts = new Array<number>(bucketsMs.length).fill(0);
  for (const l of latencies) {
    const i = bucketsMs.findIndex((b) => l <= b);
    counts[i === -1 ? counts.length - 1 : i]!++;
  }
  return { bucketsMs, counts };
}

interface Sample {
  readonly sentAt: number;
  outcome?: Outcome;
}

/** Every transaction of a round; those sent in the measured window (after the warm-up) make the figures. */
export class RoundRecorder {
  private readonly measured: Sample[] = [];
  private readonly recent: { at: number; ok: boolean; latency: number }[] = [];
  windowStart: number | undefined;
  /** All sends and completions, warm-up included, for the progress display and the early stop. */
  sentAll = 0;
  succeededAll = 0;
  failedAll = 0;
  private readonly reasonsAll = new Map<string, number>();

  /** Returns a callback for the transaction's outcome. */
  sent(sentAt: number): (outcome: Outcome) => void {
    this.sentAll++;
    const sample: Sample = { sentAt };
    if (this.windowStart !== undefined && sentAt >= this.windowStart) this.measured.push(sample);
    return (outcome) => {
      sample.outcome = outcome;
      if (outcome.ok) this.succeededAll++;
      else {
        this.failedAll++;
        this.reasonsAll.set(outcome.reason ?? 'unknown', (this.reasonsAll.get(outcome.reason ?? 'unknown') ?? 0) + 1);
      }
      this.recent.push({ at: outcome.at, ok: outcome.ok, latency: outcome.at - sentAt });
    };
  }

  get completedAll(): number {
    return this.succeededAll + this.failedAll;
  }

  topReasons(n = 3): string {
    return [...this.reasonsAll.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([reason, count]) => `${reason} (${count}×)`)
      .join('; ');
  }

  /** Throughput and latency over the last second, for the progress display. */
  recentFigures(now: number): { tps: number; p50Ms: number | null; p99Ms: number | null } {
    while (this.recent.length > 0 && this.recent[0]!.at < now - 1000) this.recent.shift();
    const ok = this.recent.filter((r) => r.ok).map((r) => r.latency);
    const sorted = Float64Array.from(ok).sort();
    return { tps: ok.length, p50Ms: ok.length ? percentile(sorted, 50) : null, p99Ms: ok.length ? percentile(sorted, 99) : null };
  }

  /** The measured figures; `windowSec` is the sending window (the duration, or start to last send). */
  figures(windowSec: number): Pick<RoundResult, 'submitted' | 'succeeded' | 'failed' | 'failures' | 'sendRate' | 'throughput' | 'latencyMs' | 'timeline' | 'histogram'> {
    const done = this.measured.filter((s) => s.outcome !== undefined);
    const ok = done.filter((s) => s.outcome!.ok);
    const latencies = ok.map((s) => s.outcome!.at - s.sentAt);
    const reasons = new Map<string, number>();
    for (const s of this.measured) {
      const reason = s.outcome === undefined ? 'no outcome before the run ended' : s.outcome.ok ? undefined : (s.outcome.reason ?? 'unknown');
      if (reason !== undefined) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const firstSend = this.measured.reduce((a, s) => Math.min(a, s.sentAt), Infinity);
    const lastOk = ok.reduce((a, s) => Math.max(a, s.outcome!.at), -Infinity);
    // Caliper's definition: succeeded ÷ (last commit − first submit) of the measured transactions.
    const span = (lastOk - firstSend) / 1000;
    return {
      submitted: this.measured.length,
      succeeded: ok.length,
      failed: this.measured.length - ok.length,
      failures: [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
      sendRate: round1(windowSec > 0 ? this.measured.length / windowSec : 0),
      throughput: round1(ok.length > 0 && span > 0 ? ok.length / span : 0),
      latencyMs: summarize(latencies),
      timeline: this.timeline(),
      histogram: histogram(latencies),
    };
  }

  private timeline(): TimelinePoint[] {
    if (this.windowStart === undefined || this.measured.length === 0) return [];
    const start = this.windowStart;
    const last = this.measured.reduce((a, s) => Math.max(a, s.outcome?.at ?? s.sentAt), start);
    const points = Array.from({ length: Math.max(1, Math.ceil((last - start) / 1000)) }, () => ({ sent: 0, succeeded: 0, failed: 0, latencies: [] as number[] }));
    const at = (t: number) => points[Math.min(points.length - 1, Math.max(0, Math.floor((t - start) / 1000)))]!;
    for (const s of this.measured) {
      at(s.sentAt).sent++;
      if (!s.outcome) continue;
      const p = at(s.outcome.at);
      if (s.outcome.ok) {
        p.succeeded++;
        p.latencies.push(s.outcome.at - s.sentAt);
      } else p.failed++;
    }
    return points.map((p, t) => {
      const sorted = Float64Array.from(p.latencies).sort();
      return { t, sent: p.sent, succeeded: p.succeeded, failed: p.failed, p50Ms: sorted.length ? round1(percentile(sorted, 50)) : null, p99Ms: sorted.length ? round1(percentile(sorted, 99)) : null };
    });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
