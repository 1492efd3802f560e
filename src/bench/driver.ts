import { BenchTargetRejectedError } from './errors.js';
import type { Outcome, RoundRecorder } from './recorder.js';
import type { RateControl } from './result.js';

/*
 * The load driver: sends jobs on a rate control (fixed rate, fixed load, linear ramp) until a
 * duration or a count, marks where the warm-up ends, and stops early when the target rejects
 * the workload. Jobs come from a JobSource, which keeps each sender's transactions in order.
 */

/** One request, from send to its outcome (committed or answered, or failed). */
export interface Job {
  run(): Promise<Outcome>;
}

export interface JobSource {
  /** A job that may be sent now, or undefined if every sender is waiting. */
  take(): Job | undefined;
  /** No job will ever be available again. */
  exhausted(): boolean;
  /** Resolves when a sender may have become ready. */
  changed(): Promise<void>;
}

export interface DriveOptions {
  readonly rate: RateControl;
  readonly durationSec?: number;
  readonly txCount?: number;
  readonly warmupSec?: number;
  readonly warmupTx?: number;
  readonly source: JobSource;
  readonly recorder: RoundRecorder;
  /** Wait this long for outstanding jobs after the last send. */
  readonly drainMs: number;
  /** Early stop: this many completions, none succeeded. */
  readonly rejectAfter?: number;
}

export interface DriveReport {
  /** The measured sending window, seconds. */
  readonly windowSec: number;
  /** Whether the job source ran dry before the round's end. */
  readonly ranDry: boolean;
  /** Open loop: how far behind its schedule the latest send went out, ms (0 for fixed load). */
  readonly maxLagMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds from the start at which the k-th send (0-based) is due, for open-loop rate controls. */
export function dueSec(rate: RateControl, k: number, warmupSec: number, durationSec: number): number {
  if (rate.type === 'fixed-rate') return k / rate.tps;
  if (rate.type !== 'linear-ramp') return 0;
  const { fromTps: from, toTps: to } = rate;
  const warmCount = from * warmupSec;
  if (k < warmCount || to === from) return k / from;
  // After the warm-up, rate(t) = from + (to − from)·t/D: solve from·t + (to − from)·t²/(2D) = k'.
  const kk = k - warmCount;
  const a = (to - from) / (2 * durationSec);
  return warmupSec + (-from + Math.sqrt(from * from + 4 * a * kk)) / (2 * a);
}

export function drive(o: DriveOptions): Promise<DriveReport> {
  return new RoundDriver(o).run();
}

/** One round's state while it is driven; see drive(). */
class RoundDriver {
  private readonly start = performance.now();
  private readonly totalTx: number;
  private windowEnd = Infinity;
  private sent = 0;
  private lastSend = this.start;
  private inFlight = 0;
  private rejected: BenchTargetRejectedError | undefined;
  private wakeFlight: (() => void) | undefined;
  private readonly outstanding = new Set<Promise<void>>();
  private ranDry = false;
  private maxLagMs = 0;

  constructor(private readonly o: DriveOptions) {
    this.totalTx = o.txCount !== undefined ? (o.warmupTx ?? 0) + o.txCount : Infinity;
    // A warm-up in seconds fixes the window now; one in transactions when its last one is sent.
    if (!o.warmupTx) this.openWindow(this.start + (o.warmupSec ?? 0) * 1000);
  }

  async run(): Promise<DriveReport> {
    if (this.o.rate.type === 'fixed-load') await this.closedLoop(this.o.rate.inFlight);
    else await this.openLoop();
    if (this.rejected) throw this.rejected;
    const drainUntil = performance.now() + this.o.drainMs;
    while (this.outstanding.size > 0 && performance.now() < drainUntil && !this.rejected) await Promise.race([Promise.race(this.outstanding), sleep(100)]);
    if (this.rejected) throw this.rejected;
    const windowStart = this.o.recorder.windowStart ?? this.start;
    const timed = this.o.durationSec !== undefined && !this.ranDry && this.windowEnd !== Infinity;
    return { windowSec: timed ? this.o.durationSec! : Math.max(0.001, (this.lastSend - windowStart) / 1000), ranDry: this.ranDry, maxLagMs: Math.round(this.maxLagMs) };
  }

  private openWindow(at: number): void {
    this.o.recorder.windowStart = at;
    if (this.o.durationSec !== undefined) this.windowEnd = at + this.o.durationSec * 1000;
  }

  private async closedLoop(limit: number): Promise<void> {
    for (;;) {
      while (this.inFlight >= limit && !this.finished()) await new Promise<void>((r) => ((this.wakeFlight = r), setTimeout(r, 50)));
      const job = await this.next();
      if (!job) return;
      this.launch(job);
    }
  }

  private async openLoop(): Promise<void> {
    const duration = this.o.durationSec ?? Infinity;
    for (;;) {
      const due = this.start + dueSec(this.o.rate, this.sent, this.o.warmupSec ?? 0, duration) * 1000;
      const wait = due - performance.now();
      // A schedule of absolute times does not drift; sends that fell behind go out at once.
      if (wait > 1) await sleep(wait);
      else if (this.sent % 64 === 63) await new Promise((r) => setImmediate(r));
      const job = await this.next();
      if (!job) return;
      this.maxLagMs = Math.max(this.maxLagMs, performance.now() - due);
      this.launch(job);
    }
  }

  private finished(): boolean {
    return this.rejected !== undefined || this.sent >= this.totalTx || performance.now() >= this.windowEnd;
  }

  /** The next job, waiting for a sender if needed; undefined when the round is over. */
  private async next(): Promise<Job | undefined> {
    for (;;) {
      if (this.finished()) return undefined;
      const job = this.o.source.take();
      if (job) return job;
      if (this.o.source.exhausted()) {
        this.ranDry = true;
        return undefined;
      }
      await Promise.race([this.o.source.changed(), sleep(Math.max(1, Math.min(100, this.windowEnd - performance.now())))]);
    }
  }

  private launch(job: Job): void {
    const now = performance.now();
    if (this.o.recorder.windowStart === undefined && this.sent >= (this.o.warmupTx ?? 0)) this.openWindow(now);
    const done = this.o.recorder.sent(now);
    this.sent++;
    this.lastSend = now;
    this.inFlight++;
    const p: Promise<void> = job
      .run()
      .catch((err: unknown): Outcome => ({ ok: false, at: performance.now(), reason: `generator error: ${(err as Error).message}` }))
      .then((outcome) => {
        done(outcome);
        this.inFlight--;
        this.outstanding.delete(p);
        this.rejected ??= this.rejection();
        this.wakeFlight?.();
      });
    this.outstanding.add(p);
  }

  /** Early stop: the first `rejectAfter` all failed, or most failed after 3 s of the round's first 10. */
  private rejection(): BenchTargetRejectedError | undefined {
    const r = this.o.recorder;
    const elapsed = performance.now() - this.start;
    if (r.completedAll < (this.o.rejectAfter ?? 20)) return undefined;
    if (r.succeededAll === 0) return new BenchTargetRejectedError(`the target rejected the first ${r.completedAll} transactions: ${r.topReasons()}`);
    if (elapsed > 3_000 && elapsed < 10_000 && r.failedAll * 2 > r.completedAll) return new BenchTargetRejectedError(`${r.failedAll} of the first ${r.completedAll} transactions failed: ${r.topReasons()}`);
    return undefined;
  }
}
