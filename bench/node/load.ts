/**
 * The load generator of bench/node/kv.ts: pre-signed txs posted over keep-alive HTTP/1.1
 * (node:http, one socket per request in flight), open-loop at a fixed rate or closed-loop with a
 * fixed number in flight. Every request is `POST /chains/kv/txs?wait=commit`: the node answers
 * when the tx is committed on that node, so a tx's latency is submit → commit acknowledged.
 */
import http from 'node:http';

export interface TxRecord {
  readonly k: number;
  readonly submittedAt: number;
  doneAt: number;
  ok: boolean;
  reason: string;
}

/** The pre-signed txs in submission order: tx k is sender k mod S with nonce ⌊k / S⌋. */
export class TxFeed {
  private next = 0;
  /** take() gives nothing from this index on (a pass over a prefix, e.g. one tx per sender). */
  stopAt = Number.POSITIVE_INFINITY;
  /** Senders with a failed tx: their later nonces could never commit, so they are skipped. */
  readonly broken = new Set<number>();
  skipped = 0;

  constructor(
    private readonly txs: (k: number) => Uint8Array,
    readonly total: number,
    readonly senders: number,
  ) {}

  get used(): number {
    return this.next;
  }

  get exhausted(): boolean {
    return this.next >= Math.min(this.total, this.stopAt);
  }

  take(): { k: number; tx: Uint8Array } | undefined {
    while (this.next < Math.min(this.total, this.stopAt)) {
      const k = this.next++;
      if (this.broken.has(k % this.senders)) {
        this.skipped++;
        continue;
      }
      return { k, tx: this.txs(k) };
    }
    return undefined;
  }

  fail(k: number): void {
    this.broken.add(k % this.senders);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

/** POSTs `body`; resolves with '' on the expected status, else with the reason (error code, HTTP status, socket error). */
export function post(port: number, path: string, body: Uint8Array, expect: number, token?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': body.length, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === expect) return resolve('');
          let code = `HTTP ${res.statusCode}`;
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } };
            if (parsed.error?.code) code = `${code} ${parsed.error.code}`;
          } catch {
            // not JSON: the status says enough
          }
          resolve(code);
        });
        res.on('error', (err) => resolve(`response: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      },
    );
    req.on('error', (err) => resolve(`request: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end(body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}

export interface Sink {
  /** HTTP ports; tx k goes to ports[k mod ports.length]. */
  readonly ports: readonly number[];
  readonly path: string;
  readonly expect: number;
  /** The nodes' operations token (`/chains/*` needs it). */
  readonly token?: string;
}

export interface RunTimes {
  readonly start: number;
  /** Measurement window [windowStart, windowEnd), performance.now() ms. */
  readonly windowStart: number;
  readonly windowEnd: number;
  /** When the drain ended (all answered, or the drain cap). */
  readonly end: number;
}

export interface RunResult {
  readonly records: TxRecord[];
  readonly times: RunTimes;
  /** Open loop: how late the generator sent a tx after its scheduled time, ms (max, and p99). */
  readonly lateness?: { max: number; p99: number };
  readonly exhausted: boolean;
}

/** An unref'd timer: a drain cap must not keep the bench alive after everything else is done. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function sender(feed: TxFeed, sink: Sink, records: TxRecord[]): (t: { k: number; tx: Uint8Array }) => Promise<void> {
  return async ({ k, tx }) => {
    const rec: TxRecord = { k, submittedAt: performance.now(), doneAt: 0, ok: false, reason: 'unanswered' };
    records.push(rec);
    const reason = await post(sink.ports[k % sink.ports.length]!, sink.path, tx, sink.expect, sink.token);
    rec.doneAt = performance.now();
    rec.ok = reason === '';
    rec.reason = reason;
    if (!rec.ok) feed.fail(k);
  };
}

/** `onWindow` is called at the window's start and end (for counters and CPU readings). */
export async function openLoop(
  feed: TxFeed,
  sink: Sink,
  o: { rate: number; warmupS: number; measureS: number; drainS: number },
  onWindow: (edge: 'start' | 'end') => void,
): Promise<RunResult> {
  const records: TxRecord[] = [];
  const send = sender(feed, sink, records);
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const windowStart = start + o.warmupS * 1000;
  const windowEnd = windowStart + o.measureS * 1000;
  const interval = 1000 / o.rate;
  const late: number[] = [];
  let exhausted = false;
  const timers = [setTimeout(() => onWindow('start'), windowStart - start), setTimeout(() => onWindow('end'), windowEnd - start)];
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (let due = start + i * interval; due <= now; due = start + i * interval) {
        if (due >= windowEnd) return resolve();
        const t = feed.take();
        if (!t) {
          exhausted = true;
          return resolve();
        }
        late.push(now - due);
        const p = send(t);
        pending.add(p);
        void p.then(() => pending.delete(p));
        i++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const drainCap = sleep(Math.max(0, windowEnd - performance.now()) + o.drainS * 1000);
  await Promise.race([Promise.all(pending), drainCap]);
  for (const t of timers) clearTimeout(t);
  late.sort((a, b) => a - b);
  return {
    records,
    times: { start, windowStart, windowEnd, end: performance.now() },
    lateness: { max: late.at(-1) ?? 0, p99: late[Math.floor(late.length * 0.99)] ?? 0 },
    exhausted,
  };
}

export async function closedLoop(
  feed: TxFeed,
  sink: Sink,
  o: { inFlight: number; warmupS: number; measureS: number; drainS: number },
  onWindow: (edge: 'start' | 'end') => void,
): Promise<RunResult> {
  const records: TxRecord[] = [];
  const send = sender(feed, sink, records);
  const start = performance.now();
  const windowStart = start + o.warmupS * 1000;
  const windowEnd = windowStart + o.measureS * 1000;
  let windowStarted = false;
  const timers = [
    setTimeout(() => {
      windowStarted = true;
      onWindow('start');
    }, windowStart - start),
    setTimeout(() => onWindow('end'), windowEnd - start),
  ];
  let exhausted = false;
  const loops = Array.from({ length: o.inFlight }, async () => {
    while (performance.now() < windowEnd) {
      const t = feed.take();
      if (!t) {
        exhausted = true;
        return;
      }
      await send(t);
    }
  });
  const all = Promise.all(loops);
  await Promise.race([all, sleep(windowEnd - start)]);
  // The feed ran out before the window ended: the window ends with the last answer.
  const early = exhausted && performance.now() < windowEnd;
  if (early) {
    for (const t of timers) clearTimeout(t);
    if (!windowStarted) onWindow('start');
    onWindow('end');
  }
  await Promise.race([all, sleep(Math.max(0, windowEnd - performance.now()) + o.drainS * 1000)]);
  for (const t of timers) clearTimeout(t);
  const end = performance.now();
  return { records, times: { start, windowStart, windowEnd: early ? Math.min(end, windowEnd) : windowEnd, end }, exhausted };
}

export interface LatencyStats {
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of the latencies (ms) of the committed txs submitted in the window. */
export function summarize(run: RunResult): {
  submitted: number;
  committed: number;
  failed: Record<string, number>;
  unanswered: number;
  /** Failures of every tx of the run, warm-up and drain included. */
  failedAnyTime: Record<string, number>;
  committedPerS: number;
  latencyMs: LatencyStats | undefined;
} {
  const { windowStart, windowEnd } = run.times;
  const measured = run.records.filter((r) => r.submittedAt >= windowStart && r.submittedAt < windowEnd);
  const ok = measured.filter((r) => r.ok);
  const failed: Record<string, number> = {};
  let unanswered = 0;
  for (const r of measured) {
    if (r.ok) continue;
    if (r.reason === 'unanswered') unanswered++;
    else failed[r.reason] = (failed[r.reason] ?? 0) + 1;
  }
  const failedAnyTime: Record<string, number> = {};
  for (const r of run.records) if (!r.ok) failedAnyTime[r.reason] = (failedAnyTime[r.reason] ?? 0) + 1;
  const acks = run.records.filter((r) => r.ok && r.doneAt >= windowStart && r.doneAt < windowEnd).length;
  const lat = ok.map((r) => r.doneAt - r.submittedAt).sort((a, b) => a - b);
  const rank = (q: number) => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil(q * lat.length) - 1))]!;
  return {
    submitted: measured.length,
    committed: ok.length,
    failed,
    unanswered,
    failedAnyTime,
    committedPerS: acks / ((windowEnd - windowStart) / 1000),
    latencyMs: lat.length ? { min: lat[0]!, p50: rank(0.5), p99: rank(0.99), max: lat.at(-1)!, mean: lat.reduce((a, b) => a + b, 0) / lat.length } : undefined,
  };
}
