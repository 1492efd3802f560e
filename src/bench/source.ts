import type { Job, JobSource } from './driver.js';
import type { Outcome } from './recorder.js';

/*
 * The jobs of a round, per sender, in nonce order. A sender's next transaction goes only after the
 * previous one was accepted (targets such as Hardhat's automine cannot queue nonce gaps) and while
 * fewer than `maxPending` of its transactions await their commit (a BSN mempool keeps a window of
 * nonces per sender). A sender whose transaction was refused at send is dropped for the round:
 * its later nonces would leave a gap.
 */

/** A write: calls `accepted` when the target took it, resolves with its outcome. */
export type SenderJob = (accepted: () => void) => Promise<Outcome>;

interface Sender {
  readonly jobs: readonly SenderJob[];
  pos: number;
  busy: boolean;
  pending: number;
  broken: boolean;
  queued: boolean;
}

export interface Reads {
  /** Share of jobs that are reads, 0..1. */
  readonly ratio: number;
  readonly make: () => Job;
  readonly rand: (n: number) => number;
}

export class SenderQueues implements JobSource {
  private readonly senders: Sender[];
  private ready: number[] = [];
  private waiters: (() => void)[] = [];
  /** The kind of the next job, drawn once per job so that waiting for a sender does not skew the mix. */
  private nextKind: 'read' | 'write' | undefined;

  constructor(
    queues: readonly (readonly SenderJob[])[],
    private readonly maxPending: number,
    private readonly reads?: Reads,
  ) {
    this.senders = queues.map((jobs) => ({ jobs, pos: 0, busy: false, pending: 0, broken: false, queued: false }));
    this.senders.forEach((_, i) => this.maybeReady(i));
  }

  take(): Job | undefined {
    if (this.reads) {
      this.nextKind ??= this.reads.rand(1) < this.reads.ratio ? 'read' : 'write';
      if (this.nextKind === 'read') {
        this.nextKind = undefined;
        return this.reads.make();
      }
    }
    while (this.ready.length > 0) {
      const i = this.ready.shift()!;
      const s = this.senders[i]!;
      s.queued = false;
      if (s.broken || s.busy || s.pos >= s.jobs.length) continue;
      this.nextKind = undefined;
      return { run: () => this.run(i, s.jobs[s.pos++]!) };
    }
    return undefined;
  }

  exhausted(): boolean {
    if (this.reads && this.reads.ratio >= 1) return false;
    return this.senders.every((s) => s.broken || s.pos >= s.jobs.length);
  }

  changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Transactions not yet sent, over all senders. */
  remaining(): number {
    return this.senders.reduce((a, s) => a + (s.broken ? 0 : s.jobs.length - s.pos), 0);
  }

  private async run(i: number, job: SenderJob): Promise<Outcome> {
    const s = this.senders[i]!;
    s.busy = true;
    let accepted = false;
    const outcome = await job(() => {
      accepted = true;
      s.busy = false;
      s.pending++;
      this.maybeReady(i);
    });
    if (accepted) s.pending--;
    else {
      s.busy = false;
      if (!outcome.ok) s.broken = true;
    }
    this.maybeReady(i);
    return outcome;
  }

  private maybeReady(i: number): void {
    const s = this.senders[i]!;
    if (s.queued || s.busy || s.broken || s.pending >= this.maxPending || s.pos >= s.jobs.length) return;
    s.queued = true;
    this.ready.push(i);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
