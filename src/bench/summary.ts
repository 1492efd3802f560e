/*
 * Text forms of a bench result: one line for a CI log, and an aligned table for the terminal.
 */
import type { BenchResult, RateControl, RoundResult } from './result.js';

/** `1,234.5`-style figure with a fixed number of decimals. */
export function formatNumber(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Latency in ms: whole ms from 10 ms up, one decimal below (a loopback chain answers in single ms). */
export function formatMs(ms: number): string {
  return Math.abs(ms) >= 10 ? formatNumber(ms, 0) : formatNumber(ms, 1);
}

export function describeRateControl(rc: RateControl): string {
  switch (rc.type) {
    case 'fixed-rate':
      return `${formatNumber(rc.tps)} tx/s`;
    case 'fixed-load':
      return `${formatNumber(rc.inFlight)} in flight`;
    case 'linear-ramp':
      return `${formatNumber(rc.fromTps)}→${formatNumber(rc.toTps)} tx/s`;
  }
}

export function failedPercent(r: Pick<RoundResult, 'submitted' | 'failed'>): number {
  return r.submitted > 0 ? (100 * r.failed) / r.submitted : 0;
}

/**
 * One line for a CI log. With several rounds it quotes the round of highest throughput (its
 * latency and failure share, so the figures belong together) and says so.
 */
export function summaryLine(result: BenchResult): string {
  const head = `${result.tool.name} ${result.name} @ ${result.target.kind} ${result.target.url}`;
  const n = result.rounds.length;
  if (n === 0) return `${head}: 0 rounds`;
  const best = result.rounds.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const which = n > 1 ? ` (best: ${best.label})` : '';
  const lat = best.succeeded > 0 ? `p50 ${formatMs(best.latencyMs.p50)} ms, p99 ${formatMs(best.latencyMs.p99)} ms` : 'no latency (nothing succeeded)';
  const failedTotal = result.rounds.reduce((s, r) => s + r.failed, 0);
  const submittedTotal = result.rounds.reduce((s, r) => s + r.submitted, 0);
  const failed = failedPercent({ submitted: submittedTotal, failed: failedTotal });
  return `${head}: ${n} round${n === 1 ? '' : 's'}${which}, ${formatNumber(best.throughput, 1)} tx/s, ${lat}, ${failed.toFixed(1)}% failed`;
}

const COLUMNS: readonly { title: string; right: boolean; cell: (r: RoundResult) => string }[] = [
  { title: 'round', right: false, cell: (r) => r.label },
  { title: 'workload', right: false, cell: (r) => r.workload },
  { title: 'load', right: false, cell: (r) => describeRateControl(r.rateControl) },
  { title: 'submitted', right: true, cell: (r) => formatNumber(r.submitted) },
  { title: 'succeeded', right: true, cell: (r) => formatNumber(r.succeeded) },
  { title: 'failed', right: true, cell: (r) => formatNumber(r.failed) },
  { title: 'failed %', right: true, cell: (r) => failedPercent(r).toFixed(1) },
  { title: 'sent/s', right: true, cell: (r) => formatNumber(r.sendRate, 1) },
  { title: 'tx/s', right: true, cell: (r) => formatNumber(r.throughput, 1) },
  { title: 'min ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.min) },
  { title: 'avg ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.avg) },
  { title: 'p50 ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.p50) },
  { title: 'p95 ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.p95) },
  { title: 'p99 ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.p99) },
  { title: 'max ms', right: true, cell: (r) => latencyCell(r, r.latencyMs.max) },
];

function latencyCell(r: RoundResult, ms: number): string {
  return r.succeeded > 0 ? formatMs(ms) : '-';
}

/** Lays out rows of cells in aligned columns, two spaces apart. */
export function alignRows(rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Every round as one row of an aligned text table, with a header row. */
export function resultTable(result: BenchResult): string {
  const rows = [COLUMNS.map((c) => c.title), ...result.rounds.map((r) => COLUMNS.map((c) => oneLine(c.cell(r))))];
  return alignRows(rows, COLUMNS.map((c) => c.right));
}

/** Labels come from a user's file: keep the table one line per round. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ');
}
