/*
 * The HTML report of a bench result: one self-contained file (inline CSS, charts as inline SVG,
 * no script, no external resource) that opens offline in any browser. Every string taken from
 * the result is escaped: failure reasons are the target's own error messages.
 */
import type { BenchResult, ProcessUsage, RoundResult } from './result.js';
import { barChart, escapeHtml, lineChart } from './svg-chart.js';
import { describeRateControl, failedPercent, formatMs, formatNumber, summaryLine } from './summary.js';

const COLORS = { sent: '#9c9c9c', succeeded: '#4e79a7', failed: '#e15759', p50: '#59a14f', p99: '#f28e2b' };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}th{background:#f5f5f5}
.summary{font-family:ui-monospace,monospace;background:#f5f5f5;padding:8px;overflow-x:auto;white-space:pre-wrap}
.warn{background:#fff4e5;border-left:4px solid #f28e2b;padding:6px 10px}
.wide{overflow-x:auto}.charts{display:flex;flex-direction:column;gap:8px}
svg.chart{max-width:100%;height:auto;background:#fff;border:1px solid #eee}
svg .title{font-size:13px;font-weight:600;fill:#222}svg .tick,svg .axis-label{font-size:11px;fill:#555}
svg .grid{stroke:#eee}svg .axis{stroke:#888}svg .no-data{font-size:14px;fill:#999}
pre{background:#f5f5f5;padding:8px;overflow-x:auto}
`;

const e = (s: string) => escapeHtml(s);

function kvTable(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]): string {
  const cls = (i: number) => (numeric[i] ? ' class="n"' : '');
  return (
    `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${e(c)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}

function mib(bytes: number): string {
  return formatNumber(bytes / 2 ** 20, 1);
}

function header(r: BenchResult): string {
  const m = r.machine;
  const t = r.target;
  const g = r.generator;
  const seconds = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return (
    `<h1>${e(r.name)}</h1><p>${e(`${r.tool.name} ${r.tool.version}`)}, ${e(r.startedAt)} → ${e(r.finishedAt)}${Number.isFinite(seconds) ? ` (${e(formatNumber(seconds, 1))} s)` : ''}</p>` +
    `<div class="summary">${e(summaryLine(r))}</div>` +
    `<h3>Target</h3>` +
    kvTable([
      ['kind', t.kind],
      ['url', t.url],
      ...(t.chainId !== undefined ? [['chain id', t.chainId] as const] : []),
      ...(t.client !== undefined ? [['client', t.client] as const] : []),
      ['bench file', r.benchFile.path],
    ]) +
    `<h3>Machine</h3>` +
    kvTable([
      ['CPU', `${m.cpus} × ${m.cpuModel}`],
      ['memory', `${formatNumber(m.memoryBytes / 2 ** 30, 1)} GiB`],
      ['Node.js', m.node],
      ['platform', m.platform],
    ]) +
    `<h3>Load generator ceiling</h3>` +
    kvTable([
      ['workers', String(g.workers)],
      ['pre-signed transactions per second', formatNumber(g.signedPerSecond)],
      ['requests per second to a sink that answers at once', formatNumber(g.requestsPerSecond)],
    ]) +
    ceilingWarning(r)
  );
}

/** The figures describe the target only while the generator has headroom: say when it had little. */
function ceilingWarning(r: BenchResult): string {
  const ceiling = Math.min(r.generator.signedPerSecond, r.generator.requestsPerSecond);
  const close = r.rounds.filter((x) => ceiling > 0 && x.sendRate > ceiling / 2);
  if (close.length === 0) return '';
  return `<p class="warn">Round${close.length > 1 ? 's' : ''} ${e(close.map((x) => x.label).join(', '))} sent at more than half of the load generator's ceiling (${e(formatNumber(ceiling))}/s): the generator may have limited the figures.</p>`;
}

const ROUND_HEAD = ['round', 'workload', 'load', 'ends after', 'warm-up', 'submitted', 'succeeded', 'failed', 'failed %', 'sent/s', 'tx/s', 'min ms', 'avg ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
const ROUND_NUMERIC = ROUND_HEAD.map((_, i) => i >= 5);

function roundRow(r: RoundResult): string[] {
  const lat = (ms: number) => (r.succeeded > 0 ? formatMs(ms) : '-');
  const ends = [r.durationSec !== undefined ? `${formatNumber(r.durationSec, 1)} s` : '', r.txCount !== undefined ? `${formatNumber(r.txCount)} tx` : ''].filter(Boolean).join(' or ');
  const warm = [r.warmupSec ? `${formatNumber(r.warmupSec, 1)} s` : '', r.warmupTx ? `${formatNumber(r.warmupTx)} tx` : ''].filter(Boolean).join(' + ') || 'none';
  const l = r.latencyMs;
  return [
    r.label, r.workload, describeRateControl(r.rateControl), ends || '-', warm,
    formatNumber(r.submitted), formatNumber(r.succeeded), formatNumber(r.failed), failedPercent(r).toFixed(1),
    formatNumber(r.sendRate, 1), formatNumber(r.throughput, 1),
    lat(l.min), lat(l.avg), lat(l.p50), lat(l.p95), lat(l.p99), lat(l.max),
  ];
}

function msLabel(ms: number): string {
  return Number.isInteger(ms) ? formatNumber(ms) : formatMs(ms);
}

function histogramBars(r: RoundResult): { label: string; value: number }[] {
  const { bucketsMs, counts } = r.histogram;
  return counts.map((value, i) => ({
    label: i < bucketsMs.length ? `≤${msLabel(bucketsMs[i]!)}` : `>${msLabel(bucketsMs[bucketsMs.length - 1] ?? 0)}`,
    value,
  }));
}

function roundCharts(r: RoundResult): string {
  const tl = r.timeline;
  const throughput = lineChart({ title: 'Throughput over time', xLabel: 'seconds into the measured window', yLabel: 'transactions per second' }, [
    { name: 'sent/s', color: COLORS.sent, points: tl.map((p) => [p.t, p.sent]) },
    { name: 'succeeded/s', color: COLORS.succeeded, points: tl.map((p) => [p.t, p.succeeded]) },
    ...(tl.some((p) => p.failed > 0) ? [{ name: 'failed/s', color: COLORS.failed, points: tl.map((p) => [p.t, p.failed] as const) }] : []),
  ]);
  const latency = lineChart({ title: 'Latency over time', xLabel: 'seconds into the measured window', yLabel: 'latency, ms' }, [
    { name: 'p50', color: COLORS.p50, points: tl.map((p) => [p.t, p.p50Ms]) },
    { name: 'p99', color: COLORS.p99, points: tl.map((p) => [p.t, p.p99Ms]) },
  ]);
  const histogram = barChart({ title: 'Latency histogram', xLabel: 'latency, ms (upper bound of the bucket)', yLabel: 'transactions' }, histogramBars(r));
  return `<div class="charts">${throughput}${latency}${histogram}</div>`;
}

function failuresTable(r: RoundResult): string {
  if (r.failures.length === 0) return '<p>No failures.</p>';
  return table(['reason', 'count', 'share of failed'], r.failures.map((f) => [f.reason, formatNumber(f.count), r.failed > 0 ? `${((100 * f.count) / r.failed).toFixed(1)} %` : '-']), [false, true, true]);
}

export function resourcesTable(usage: readonly ProcessUsage[] | undefined): string {
  if (!usage || usage.length === 0) return '<p>Not sampled (the target runs elsewhere, or its processes were not found).</p>';
  const rows = usage.map((u) => [String(u.pid), u.name, formatNumber(u.cpuPercentAvg, 1), formatNumber(u.cpuPercentMax, 1), mib(u.rssBytesAvg), mib(u.rssBytesMax)]);
  const total = usage.reduce((s, u) => s + u.cpuPercentAvg, 0);
  const rss = usage.reduce((s, u) => s + u.rssBytesAvg, 0);
  if (usage.length > 1) rows.push(['', 'all', formatNumber(total, 1), '', mib(rss), '']);
  return table(['pid', 'process', 'CPU % of one core, avg', 'CPU % max', 'RSS MiB avg', 'RSS MiB max'], rows, [true, false, true, true, true, true]);
}

function roundSection(r: RoundResult, i: number): string {
  return (
    `<section class="round" id="round-${i + 1}"><h2>Round ${i + 1}: ${e(r.label)}</h2>` +
    roundCharts(r) +
    `<h3>Failures</h3>${failuresTable(r)}` +
    `<h3>Resources of the target's processes</h3>${resourcesTable(r.resources)}` +
    `</section>`
  );
}

/** The whole report as one HTML document. */
export function renderHtmlReport(result: BenchResult): string {
  const spec = JSON.stringify(result.benchFile.spec, null, 2) ?? 'null';
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${e(`${result.tool.name}: ${result.name}`)}</title><style>${CSS}</style></head><body>` +
    header(result) +
    `<h2>Rounds</h2>` +
    `<div class="wide">${table(ROUND_HEAD, result.rounds.map(roundRow), ROUND_NUMERIC)}</div>` +
    result.rounds.map(roundSection).join('') +
    `<h2>Bench file</h2><details><summary>${e(result.benchFile.path)} (resolved)</summary><pre>${e(spec)}</pre></details>` +
    `</body></html>\n`
  );
}
