/** The tables bench/node/kv.ts prints: phases, CPU, ratios and the profile. */
import os from 'node:os';
import type { ProfileSummary } from './profile.js';

export interface PhaseReport {
  readonly network: string;
  readonly phase: string;
  readonly load: string;
  readonly windowS: number;
  readonly submitted: number;
  readonly committed: number;
  readonly failed: Record<string, number>;
  readonly unanswered: number;
  readonly failedAnyTime: Record<string, number>;
  readonly committedPerS: number;
  readonly latencyMs: { min: number; p50: number; p99: number; max: number; mean: number } | undefined;
  readonly blocks: number | undefined;
  readonly txsPerBlock: number | undefined;
  /** % of one core over the window: per node, their sum, the generator, the whole machine (of cores × 100 %), and everything else. */
  readonly cpu: { nodes: Record<string, number>; nodesTotal: number; generator: number; machineBusy: number; other: number };
  readonly openLoopLatenessMs?: { max: number; p99: number };
  readonly feedExhausted: boolean;
  readonly nodesAliveAfter: string[];
  /** Monotonic µs of the window, to cut the node's CPU profile. */
  readonly windowUs: { startUs: number; endUs: number };
  readonly windowEpochMs: { start: number; end: number };
  /** From the first node's log ('committed' lines in the window): filled in after the network stops. */
  readonly blockLog?: { blocks: number; emptyBlocks: number; maxTxs: number; heightMsP50: number; heightMsMax: number };
}

export const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
export const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

export function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  // Columns of figures are right-aligned.
  const right = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d,.%× /]*$/.test(r[i]!)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ')} |`;
  return [line(head), `| ${width.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function phaseTables(reports: PhaseReport[]): string {
  const main = table(
    ['network', 'load', 'window s', 'submitted', 'committed', 'failed', 'committed tx/s', 'min ms', 'p50 ms', 'p99 ms', 'max ms', 'blocks', 'tx/block', 'empty blocks', 'height ms p50 / max'],
    reports.map((r) => [
      r.network,
      r.load,
      f1(r.windowS),
      f0(r.submitted),
      f0(r.committed),
      f0(Object.values(r.failed).reduce((a, b) => a + b, 0) + r.unanswered),
      f0(r.committedPerS),
      f0(r.latencyMs?.min),
      f0(r.latencyMs?.p50),
      f0(r.latencyMs?.p99),
      f0(r.latencyMs?.max),
      f0(r.blocks),
      f1(r.txsPerBlock),
      f0(r.blockLog?.emptyBlocks),
      r.blockLog ? `${f0(r.blockLog.heightMsP50)} / ${f0(r.blockLog.heightMsMax)}` : '-',
    ]),
  );
  const cpu = table(
    ['network', 'load', 'node CPU % of one core (each)', 'nodes total %', 'node CPU ms per committed tx (all nodes)', 'generator %', `machine busy % (of ${os.availableParallelism() * 100})`, 'other processes %'],
    reports.map((r) => [
      r.network,
      r.load,
      Object.values(r.cpu.nodes).map((x) => f0(x)).join(' / '),
      f0(r.cpu.nodesTotal),
      (r.cpu.nodesTotal * 10 / r.committedPerS).toFixed(2),
      f0(r.cpu.generator),
      f0(r.cpu.machineBusy),
      f0(r.cpu.other),
    ]),
  );
  const failures = reports.flatMap((r) => [
    ...Object.entries(r.failedAnyTime).map(([why, n]) => `  ${r.network}, ${r.load}: ${n} × ${why} (${r.failed[why] ?? 0} of them in the window)`),
    ...(r.unanswered ? [`  ${r.network}, ${r.load}: ${r.unanswered} unanswered when the drain ended`] : []),
    ...(r.feedExhausted && r.phase !== 'cold keys' ? [`  ${r.network}, ${r.load}: ran out of pre-signed txs`] : []),
    ...(r.openLoopLatenessMs ? [`  ${r.network}, ${r.load}: (not a failure) the generator sent txs late by up to ${f0(r.openLoopLatenessMs.max)} ms (p99 ${f0(r.openLoopLatenessMs.p99)} ms)`] : []),
    ...(r.nodesAliveAfter.length < Object.keys(r.cpu.nodes).length ? [`  ${r.network}, ${r.load}: only ${r.nodesAliveAfter.join(', ')} still running afterwards`] : []),
  ]);
  const failed = reports.some((r) => Object.keys(r.failedAnyTime).length > 0);
  return `${main}\n\n${cpu}\n\n${failed ? 'failed txs (warm-up and drain included) and notes' : 'no failed txs (warm-up and drain included); notes'}:\n${failures.join('\n')}\n`;
}

export function profileTable(p: ProfileSummary, title: string, rows: number, full: boolean): string {
  const lines = [
    `${title}: ${f0(p.busyMs)} ms busy of ${f0(p.sampledMs)} ms sampled${p.windowed ? ' (samples in the window only)' : ' (whole run)'}`,
    table(
      ['self time, by function', 'location', 'ms', '%', 'called from (project code, nearest first; share)'],
      p.topFunctions
        .slice(0, rows)
        .map((e) => [e.name.split('  ')[0]!, e.name.split('  ')[1] ?? '', f0(e.selfMs), f1(e.pct), (p.callers[e.name] ?? []).map((c) => `${c.via} (${f0(c.pct)} %)`).join('; ')]),
    ),
  ];
  if (!full) return lines.join('\n');
  return [
    ...lines,
    '',
    table(['self time, by module', 'ms', '%'], p.topModules.map((e) => [e.name, f0(e.selfMs), f1(e.pct)])),
    '',
    table(['inclusive time, project functions', 'location', 'ms', '%'], p.topInclusive.map((e) => [e.name.split('  ')[0]!, e.name.split('  ')[1] ?? '', f0(e.selfMs), f1(e.pct)])),
  ].join('\n');
}
