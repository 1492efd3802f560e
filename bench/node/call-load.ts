/**
 * npm run bench:calls — the figure of review finding H3: p99 commit latency of `kv` txs at
 * 100 tx/s on the four-node network of `bsn up`, alone and while 20 clients keep a maximal
 * eth_call each in flight against the same node (an infinite loop that runs to the call gas
 * cap). The two conditions alternate (alone, calls, alone, calls) against the same network, so
 * that other work on a shared machine weighs on both alike; the ratio of the pooled p99s is
 * printed. About a minute and a half: 5 s to start, a pass of one tx per sender, 4 × 15 s of load. Node processes run the built
 * dist/cli/main.js (rebuilt when src/ is newer). `--keep` keeps the temp directory, `--tsx` runs
 * the nodes from src/ under tsx; `--gas N`
 * makes the calls N gas each (a control: the cost of answering calls without the EVM work).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { closeAgent, closedLoop, openLoop, TxFeed, type Sink } from './load.js';
import { commitsFromLog, ensureBuilt, freeBasePort, Network } from './net.js';
import { CHAIN, TX_PATH } from './settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * `--tsx`: the nodes run src/ under tsx instead of dist/ (no build; on a tree that others are
 * editing, src/ may not type-check while it still runs). Start-up is slower, the load the same.
 */
const TSX = process.argv.includes('--tsx');
const MAIN = TSX ? path.join(ROOT, 'src/cli/main.ts') : path.join(ROOT, 'dist/cli/main.js');
if (TSX) process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import tsx`.trim();
const KEEP = process.argv.includes('--keep');
const RATE = 100;
const CALLERS = 20;
const PHASE = { warmupS: 2, measureS: 12, drainS: 2 };
const ROUNDS = 2;
/** Enough txs for both phases: sender k mod S, nonce ⌊k / S⌋. */
const SENDERS = 250;
const NONCES = 31;
/** `--gas N`: calls of N gas (hex in the request) instead of maximal ones (the node's gas cap). */
const GAS = process.argv.includes('--gas') ? Number(process.argv[process.argv.indexOf('--gas') + 1]) : undefined;
/** JUMPDEST PUSH1 0 JUMP as the init code of a create call: it loops until the gas runs out. */
const LOOP_CALL = { data: '0x5b600056', ...(GAS !== undefined && { gas: `0x${GAS.toString(16)}` }) };

const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

function signTxs(): TxFeed {
  const suite = getSuite('ecdsa-p256');
  const keys = Array.from({ length: SENDERS }, () => suite.generateKeyPair().privateKey);
  const txs: Uint8Array[] = [];
  for (let k = 0; k < SENDERS * NONCES; k++) {
    const s = k % SENDERS;
    const nonce = Math.floor(k / SENDERS);
    txs.push(buildKvTx({ chainId: CHAIN, privateKey: keys[s]!, nonce, ops: [{ type: 'put', key: Buffer.from(`calls/${s}/${nonce}`), value: new Uint8Array(32).fill(s & 0xff) }] }));
  }
  return new TxFeed((k) => txs[k]!, txs.length, SENDERS);
}

const rpcAgent = new http.Agent({ keepAlive: true, maxSockets: CALLERS });

/** One eth_call; resolves with its outcome in a word (the error message's kind). */
function ethCall(port: number): Promise<string> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [LOOP_CALL, 'latest'] });
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/apps/demo/rpc', method: 'POST', agent: rpcAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: string; error?: { message: string } };
          const m = answer.error?.message ?? 'ok';
          resolve(m.startsWith('too many calls') ? 'busy' : m.startsWith('execution aborted') ? 'timeout' : m.slice(0, 40));
        } catch {
          resolve(`HTTP ${res.statusCode}`);
        }
      });
    });
    req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    req.end(body);
  });
}

/** CALLERS clients, each with one eth_call in flight, until stop(). */
function startCallers(port: number): { stop: () => Promise<Record<string, number>>; answered: () => number } {
  const outcomes: Record<string, number> = {};
  let running = true;
  let answered = 0;
  const loops = Array.from({ length: CALLERS }, async () => {
    while (running) {
      const outcome = await ethCall(port);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      answered++;
      // A refused call (busy, or the gateway's per-IP limit) is retried after a back-off, as
      // client libraries do; the node's answer to a client that does not back off is that limit.
      if (outcome === 'busy' || outcome.startsWith('too many requests')) await new Promise((r) => setTimeout(r, 200));
    }
  });
  return {
    answered: () => answered,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};
const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(0));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bsn-bench-calls-'));
let net: Network | undefined;
try {
  if (!TSX) ensureBuilt(ROOT, log);
  const feed = signTxs();
  const base = await freeBasePort(40);
  log(`starting the four-node network of bsn up on 127.0.0.1:${base}..${base + 39}`);
  const four = await Network.fourNodes(path.join(tmp, 'net'), base, MAIN);
  net = four.net;
  const node1 = four.layout.nodes[0]!;
  const sink: Sink = { ports: [node1.httpPort], path: TX_PATH, expect: 200, token: net.token };
  const phase = async (label: string) => {
    const run = await openLoop(feed, sink, { rate: RATE, ...PHASE }, () => undefined);
    const wall = Date.now() - performance.now();
    const { windowStart, windowEnd } = run.times;
    const latencies = run.records.filter((r) => r.ok && r.submittedAt >= windowStart && r.submittedAt < windowEnd).map((r) => r.doneAt - r.submittedAt);
    const submitted = run.records.filter((r) => r.submittedAt >= windowStart && r.submittedAt < windowEnd).length;
    const blocks = commitsFromLog(node1.log).filter((c) => c.time >= wall + windowStart && c.time < wall + windowEnd);
    log(`${label}: ${latencies.length}/${submitted} committed, p50 ${f0(p(latencies, 0.5))} ms, p99 ${f0(p(latencies, 0.99))} ms, max ${f0(p(latencies, 1))} ms`);
    return { latencies, submitted, blocks: blocks.map((b) => b.latencyMs) };
  };
  const pooled = { alone: { latencies: [] as number[], submitted: 0, blocks: [] as number[] }, calls: { latencies: [] as number[], submitted: 0, blocks: [] as number[] } };
  const add = (into: typeof pooled.alone, r: Awaited<ReturnType<typeof phase>>) => {
    into.latencies.push(...r.latencies);
    into.submitted += r.submitted;
    into.blocks.push(...r.blocks);
  };
  const outcomes: Record<string, number> = {};
  let answered = 0;
  let callSeconds = 0;
  log(`kv txs at ${RATE} tx/s to ${node1.name} (${PHASE.warmupS} s warm-up + ${PHASE.measureS} s measured per phase), alone and with ${CALLERS} clients each keeping a maximal eth_call in flight on ${node1.name}'s gateway, ${ROUNDS} rounds`);
  // Each node parses a sender's public key at its first tx: one tx per sender first, unmeasured,
  // so that the first measured phase is not the only one to pay for it.
  feed.stopAt = SENDERS;
  await closedLoop(feed, sink, { inFlight: 50, warmupS: 0, measureS: 30, drainS: 5 }, () => undefined);
  feed.stopAt = Number.POSITIVE_INFINITY;
  log(`cold keys: one tx per sender committed`);
  for (let round = 1; round <= ROUNDS; round++) {
    add(pooled.alone, await phase(`round ${round}, alone`));
    const callers = startCallers(node1.gatewayPort!);
    const t0 = performance.now();
    add(pooled.calls, await phase(`round ${round}, with calls`));
    const stopped = await callers.stop();
    // Counted once the calls in flight have answered too, with the time they took.
    callSeconds += (performance.now() - t0) / 1000;
    answered += callers.answered();
    for (const [k, v] of Object.entries(stopped)) outcomes[k] = (outcomes[k] ?? 0) + v;
  }
  const ratio = p(pooled.calls.latencies, 0.99) / p(pooled.alone.latencies, 0.99);
  console.log('');
  console.log(`machine: ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('| condition (pooled over rounds) | kv txs committed / submitted | p50 ms | p95 ms | p99 ms | max ms | node1 blocks | node1 block latency p50 / p99 ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [label, r] of [['alone', pooled.alone], [`+ ${CALLERS} eth_calls`, pooled.calls]] as const) {
    const l = r.latencies;
    console.log(`| ${label} | ${l.length} / ${r.submitted} | ${f0(p(l, 0.5))} | ${f0(p(l, 0.95))} | ${f0(p(l, 0.99))} | ${f0(p(l, 1))} | ${r.blocks.length} | ${f0(p(r.blocks, 0.5))} / ${f0(p(r.blocks, 0.99))} |`);
  }
  console.log('');
  console.log(`eth_calls answered: ${answered} in ${callSeconds.toFixed(0)} s (${(answered / callSeconds).toFixed(1)}/s): ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`p99 kv commit latency with calls / without: ${ratio.toFixed(2)}x (target: within 1.5x)`);
} finally {
  await net?.stop();
  closeAgent();
  rpcAgent.destroy();
  if (KEEP) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
