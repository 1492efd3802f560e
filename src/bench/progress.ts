/*
 * The live progress display of `bsn bench`. On a terminal, one status line rewritten in place; in
 * a CI log (not a TTY) a plain line every few seconds, so the log shows progress without
 * thousands of lines.
 */
import { formatMs, formatNumber } from './summary.js';

export interface ProgressSnapshot {
  readonly elapsedSec: number;
  readonly submitted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly tps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface ProgressSink {
  /** A new round starts: ends the previous round's line and names the next. */
  round(label: string): void;
  /** The engine's current figures; may be called as often as it likes (the sink throttles). */
  tick(snapshot: ProgressSnapshot): void;
  /** Writes the last figures seen and leaves the cursor on a fresh line. */
  end(): void;
}

/** What the sink needs of a stream; `process.stdout`/`stderr` fit, and so does a test double. */
export type ProgressStream = Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean; readonly columns?: number };

const TTY_INTERVAL_MS = 200;
const PLAIN_INTERVAL_MS = 5_000;
/** ANSI "erase the whole line"; with \r the cursor goes back to its start. */
const CLEAR_LINE = '\r\x1b[2K';

export function formatSnapshot(label: string, s: ProgressSnapshot): string {
  const lat = (ms: number | null) => (ms === null ? '-' : formatMs(ms));
  return (
    `${label ? `${label} ` : ''}${s.elapsedSec.toFixed(1)}s  sent ${formatNumber(s.submitted)}  ok ${formatNumber(s.succeeded)}` +
    `  failed ${formatNumber(s.failed)}  in flight ${formatNumber(s.inFlight)}  ${formatNumber(s.tps, 1)} tx/s` +
    `  p50 ${lat(s.p50Ms)} ms  p99 ${lat(s.p99Ms)} ms`
  );
}

export function createProgress(stream: ProgressStream, opts?: { intervalMs?: number }): ProgressSink {
  const tty = stream.isTTY === true;
  const interval = opts?.intervalMs ?? (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS);
  let label = '';
  let last: ProgressSnapshot | undefined;
  let lastWrite = -Infinity;
  let lastLine = '';
  let lineOpen = false;

  const fit = (line: string) => {
    // A line wider than the terminal wraps, and \r then rewrites only its last part.
    const cols = stream.columns;
    return cols && cols > 1 && line.length >= cols ? line.slice(0, cols - 1) : line;
  };
  const write = (s: ProgressSnapshot) => {
    const line = formatSnapshot(label, s);
    if (tty) {
      stream.write(CLEAR_LINE + fit(line));
      lineOpen = true;
    } else {
      stream.write(line + '\n');
    }
    lastLine = line;
    lastWrite = Date.now();
  };
  const flush = () => {
    if (last && formatSnapshot(label, last) !== lastLine) write(last);
    if (tty && lineOpen) stream.write('\n');
    lineOpen = false;
  };

  return {
    round(next) {
      flush();
      // A label from a user's file must not move the cursor or inject escape sequences.
      label = [...next].map((c) => (c < ' ' || c === '\x7f' ? ' ' : c)).join('');
      last = undefined;
      lastLine = '';
      lastWrite = -Infinity;
      if (!tty) stream.write(`round ${label}\n`);
    },
    tick(s) {
      last = s;
      if (Date.now() - lastWrite >= interval) write(s);
    },
    end() {
      flush();
    },
  };
}
