/**
 * Virtual time for the node-level simulator: one event heap, one clock. An event runs only
 * after every runner is idle (see Cluster.settle), so a seed replays a run exactly.
 */
import type { ChainTimers } from '../../../src/node/chain-runner.js';
import { EventQueue } from '../heap.js';

export interface SimEvent {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void | Promise<void>;
  cancelled: boolean;
}

export class VirtualTime {
  private readonly heap = new EventQueue<SimEvent>();
  private seq = 0;
  now: number;
  events = 0;

  constructor(readonly origin: number) {
    this.now = origin;
  }

  /** Virtual ms since the run began: scenarios are laid out in these. */
  get elapsed(): number {
    return this.now - this.origin;
  }

  /** Runs `fn` `delayMs` from now (ties in scheduling order). */
  at(delayMs: number, fn: () => void | Promise<void>): SimEvent {
    const ev: SimEvent = { time: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.heap.push(ev);
    return ev;
  }

  /** Timers for one runner: a cleared timer stays in the heap, cancelled. */
  timers(): ChainTimers {
    return {
      set: (ms, fn) => this.at(ms, fn),
      clear: (handle) => void ((handle as SimEvent).cancelled = true),
    };
  }

  /** The next live event at or before elapsed time `end`, with the clock moved to it; undefined when none is left. */
  next(end: number): SimEvent | undefined {
    end += this.origin;
    for (;;) {
      const ev = this.heap.pop();
      if (!ev) return undefined;
      if (ev.cancelled) continue;
      if (ev.time > end) {
        this.heap.push(ev);
        return undefined;
      }
      this.now = ev.time;
      this.events++;
      return ev;
    }
  }
}
