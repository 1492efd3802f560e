import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { drive, dueSec, type Job, type JobSource } from '../../src/bench/driver.js';
import { BenchTargetRejectedError } from '../../src/bench/errors.js';
import { RpcClient } from '../../src/bench/http.js';
import { RoundRecorder } from '../../src/bench/recorder.js';
import type { RateControl } from '../../src/bench/result.js';
import { startSink } from '../../src/bench/sink.js';
import { SenderQueues } from '../../src/bench/source.js';

/** Jobs that each send one JSON-RPC request to `client`; never exhausted. */
function endless(client: RpcClient, track?: { now: number; max: number }): JobSource {
  return {
    take: (): Job => ({
      run: async () => {
        if (track) track.max = Math.max(track.max, ++track.now);
        try {
          await client.call('eth_sendRawTransaction', ['0x00']);
          return { ok: true, at: performance.now() };
        } catch (err) {
          return { ok: false, at: performance.now(), reason: (err as Error).message };
        } finally {
          if (track) track.now--;
        }
      },
    }),
    exhausted: () => false,
    changed: () => new Promise(() => undefined),
  };
}

test('fixed rate: 200 tps for 2 s sends 400 ± 5 % to the sink, on schedule', async (t) => {
  const sink = await startSink();
  t.after(() => sink.close());
  const client = new RpcClient(sink.url);
  t.after(() => client.close());
  const recorder = new RoundRecorder();
  const started = performance.now();
  const report = await drive({ rate: { type: 'fixed-rate', tps: 200 }, durationSec: 2, warmupSec: 0.5, source: endless(client), recorder, drainMs: 5_000 });
  const figures = recorder.figures(report.windowSec);
  assert.ok(Math.abs(figures.submitted - 400) <= 20, `submitted ${figures.submitted}`);
  assert.equal(figures.failed, 0);
  assert.ok(recorder.sentAll >= figures.submitted + 90, 'the warm-up (100 sends) is not in the figures');
  assert.ok(Math.abs(figures.sendRate - 200) <= 10, `send rate ${figures.sendRate}`);
  assert.ok(performance.now() - started < 3_500, 'the round took its warm-up plus duration');
  assert.equal(figures.timeline.reduce((a, p) => a + p.sent, 0), figures.submitted);
});

test('fixed load: keeps N in flight against a server that answers after 20 ms', async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('{"jsonrpc":"2.0","id":1,"result":"0x1"}'), 20));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const client = new RpcClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.after(() => client.close());
  const track = { now: 0, max: 0 };
  const recorder = new RoundRecorder();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(track.now), 10);
  await drive({ rate: { type: 'fixed-load', inFlight: 16 }, durationSec: 1.5, source: endless(client, track), recorder, drainMs: 5_000 });
  clearInterval(sampler);
  assert.equal(track.max, 16, 'never more than N in flight');
  const busy = samples.slice(5, -5);
  const avg = busy.reduce((a, b) => a + b, 0) / busy.length;
  assert.ok(avg >= 14, `about N in flight on average: ${avg}`);
  const { succeeded, latencyMs } = recorder.figures(1.5);
  // 16 in flight at ≥ 20 ms each: at most 800/s.
  assert.ok(succeeded > 300 && succeeded <= 16 * 1.5 * 50 + 16, `succeeded ${succeeded}`);
  assert.ok(latencyMs.min >= 19, `latency ${latencyMs.min} includes the server's 20 ms`);
});

test('linear ramp: the schedule integrates the rate', async (t) => {
  const ramp: RateControl = { type: 'linear-ramp', fromTps: 100, toTps: 300 };
  // (100 + 300) / 2 × 2 s = 400 sends in the measured window, the last due at 2 s.
  assert.ok(Math.abs(dueSec(ramp, 400, 0, 2) - 2) < 1e-9);
  assert.ok(Math.abs(dueSec(ramp, 100, 1, 2) - 1) < 1e-9, 'the warm-up runs at fromTps');
  assert.ok(dueSec(ramp, 200, 0, 2) > 1, 'half the sends take more than half the time');
  const sink = await startSink();
  t.after(() => sink.close());
  const client = new RpcClient(sink.url);
  t.after(() => client.close());
  const recorder = new RoundRecorder();
  const report = await drive({ rate: ramp, durationSec: 2, source: endless(client), recorder, drainMs: 5_000 });
  const { submitted, timeline } = recorder.figures(report.windowSec);
  assert.ok(Math.abs(submitted - 400) <= 20, `submitted ${submitted}`);
  assert.ok(timeline[1]!.sent > timeline[0]!.sent * 1.4, `second 2 sends more: ${timeline.map((p) => p.sent)}`);
});

test('per-sender order: a sender sends its next job only after the previous was accepted', async () => {
  const order: string[] = [];
  const job = (s: number, n: number) => async (accepted: () => void) => {
    order.push(`${s}:${n}`);
    await new Promise((r) => setTimeout(r, 5));
    accepted();
    await new Promise((r) => setTimeout(r, 30));
    return { ok: true, at: performance.now() };
  };
  const source = new SenderQueues([0, 1].map((s) => [0, 1, 2].map((n) => job(s, n))), 2);
  const recorder = new RoundRecorder();
  await drive({ rate: { type: 'fixed-rate', tps: 1000 }, txCount: 6, source, recorder, drainMs: 2_000 });
  assert.equal(recorder.succeededAll, 6);
  for (const s of ['0', '1']) assert.deepEqual(order.filter((o) => o.startsWith(s)), [0, 1, 2].map((n) => `${s}:${n}`));
  // A refused send drops its sender for the round (its later nonces would leave a gap).
  const refusing = new SenderQueues([[async () => ({ ok: false, at: performance.now(), reason: 'nonce too low' }), job(0, 1)]], 2);
  const r2 = new RoundRecorder();
  const report = await drive({ rate: { type: 'fixed-rate', tps: 1000 }, txCount: 2, source: refusing, recorder: r2, drainMs: 1_000, rejectAfter: 100 });
  assert.equal(r2.sentAll, 1);
  assert.equal(report.ranDry, true);
});

test('early stop: a target that refuses everything stops the round with the reason', async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"txpool is full"}}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const client = new RpcClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.after(() => client.close());
  const started = performance.now();
  await assert.rejects(
    drive({ rate: { type: 'fixed-rate', tps: 200 }, durationSec: 20, source: endless(client), recorder: new RoundRecorder(), drainMs: 1_000 }),
    (e: unknown) => e instanceof BenchTargetRejectedError && e.code === 'BENCH_TARGET_REJECTED' && /first 2\d transactions: txpool is full \(2\d×\)/.test(e.message),
  );
  assert.ok(performance.now() - started < 2_000, 'stopped at once, not after 20 s');
});
