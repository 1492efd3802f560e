import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProgress, type ProgressSnapshot } from '../../src/bench/progress.js';

const ESC = '\x1b';
/** Carriage return, then ANSI "erase line". */
const CLEAR = `\r${ESC}[2K`;

/** A stream double: records what is written, and says whether it is a terminal. */
function fakeStream(isTTY: boolean, columns?: number): { isTTY: boolean; columns?: number; chunks: string[]; write(s: string): boolean } {
  const chunks: string[] = [];
  return { isTTY, columns, chunks, write: (s: string) => (chunks.push(s), true) };
}

function snap(i: number, over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return { elapsedSec: i / 10, submitted: i * 10, succeeded: i * 9, failed: i, inFlight: 5, tps: 90, p50Ms: 40, p99Ms: 120.4, ...over };
}

test('on a TTY: one line rewritten in place, throttled, closed with a newline', async () => {
  const s = fakeStream(true);
  const p = createProgress(s as unknown as NodeJS.WriteStream, { intervalMs: 50 });
  p.round('erc20 64 in flight');
  for (let i = 1; i <= 100; i++) p.tick(snap(i)); // a burst: only the first is written at once
  assert.equal(s.chunks.length, 1);
  assert.equal(s.chunks[0], '\r\x1b[2Kerc20 64 in flight 0.1s  sent 10  ok 9  failed 1  in flight 5  90.0 tx/s  p50 40 ms  p99 120 ms');
  await sleep(70);
  p.tick(snap(101, { p50Ms: null, p99Ms: null, submitted: 12_345 }));
  assert.equal(s.chunks.length, 2);
  assert.ok(s.chunks[1]!.startsWith(CLEAR) && s.chunks[1]!.includes(' sent 12,345 '), s.chunks[1]);
  assert.ok(s.chunks[1]!.endsWith('p50 - ms  p99 - ms'), s.chunks[1]);
  p.tick(snap(102)); // throttled, but end() writes the last figures
  p.end();
  assert.equal(s.chunks.length, 4);
  assert.ok(s.chunks[2]!.startsWith(`${CLEAR}erc20 64 in flight 10.2s `), s.chunks[2]);
  assert.equal(s.chunks[3], '\n');
  assert.ok(s.chunks.every((c) => !c.includes('\n') || c === '\n'), 'no line feed inside the status line');
});

test('on a TTY: the line is cut to the terminal width, and a label cannot inject escapes', () => {
  const s = fakeStream(true, 40);
  const p = createProgress(s as unknown as NodeJS.WriteStream);
  p.round('evil\x1b[31m\nlabel');
  p.tick(snap(1));
  p.end();
  const line = s.chunks[0]!.slice(CLEAR.length);
  assert.equal(line.length, 39);
  assert.ok(line.startsWith('evil [31m label 0.1s'));
  assert.ok([...line].every((c) => c >= ' '), 'no control character');
});

test('not a TTY (CI): plain lines, one per interval, and a line per round', async () => {
  const s = fakeStream(false);
  const p = createProgress(s as unknown as NodeJS.WriteStream, { intervalMs: 40 });
  p.round('transfer');
  for (let i = 1; i <= 5; i++) {
    p.tick(snap(i));
    p.tick(snap(i)); // a second tick inside the interval is not written
    await sleep(50);
  }
  p.round('erc20');
  p.tick(snap(1));
  p.end();
  const text = s.chunks.join('');
  assert.ok(!text.includes('\r') && !text.includes(ESC), 'no cursor movement');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'round transfer');
  assert.equal(lines.filter((l) => l.startsWith('transfer ')).length, 5);
  assert.equal(lines[6], 'round erc20');
  assert.ok(lines[7]!.startsWith('erc20 0.1s  sent 10  ok 9  failed 1 '), lines[7]);
  assert.equal(lines.length, 8);
});

test('not a TTY: the default interval keeps a fast engine to a line every few seconds', () => {
  const s = fakeStream(false);
  const p = createProgress(s as unknown as NodeJS.WriteStream);
  p.round('r');
  for (let i = 1; i <= 1_000; i++) p.tick(snap(i));
  assert.equal(s.chunks.length, 2); // the round line and the first figures
  p.end();
  assert.equal(s.chunks.length, 3); // the last figures
  assert.ok(s.chunks[2]!.startsWith('r 100.0s  sent 10,000 '), s.chunks[2]);
});
