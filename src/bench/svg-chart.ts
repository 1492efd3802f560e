/*
 * Charts as inline SVG markup, drawn here in TypeScript so that the bench report is one file that
 * needs no script, no font and no network to show them. Every caller string is escaped.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round tick values covering [0, max]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(max: number, count = 5): number[] {
  // Below a millionth the figures are zero for any reader (and 10^k underflows for subnormals).
  if (!(max > 1e-6) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(roundTo(v, step));
  if (ticks[ticks.length - 1]! < max) ticks.push(roundTo(ticks[ticks.length - 1]! + step, step));
  return ticks;
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number(v.toFixed(decimals));
}

export function tickLabel(v: number): string {
  if (Math.abs(v) >= 1_000_000) return `${trim(v / 1_000_000)}M`;
  if (Math.abs(v) >= 10_000) return `${trim(v / 1_000)}k`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toFixed(2)));
}

const W = 720;
const H = 260;
const M = { left: 64, right: 16, top: 44, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

export interface Series {
  readonly name: string;
  readonly color: string;
  /** [x, y]; a null y is a gap (the line breaks there). */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface ChartText {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
}

function frame(kind: string, text: ChartText, body: string): string {
  return (
    `<svg class="chart ${kind}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(text.title)}">` +
    `<text class="title" x="${M.left}" y="18">${escapeHtml(text.title)}</text>` +
    body +
    `<text class="axis-label" x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(text.xLabel)}</text>` +
    `<text class="axis-label" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(text.yLabel)}</text>` +
    `</svg>`
  );
}

function yAxis(ticks: readonly number[], yOf: (v: number) => number): string {
  return ticks
    .map((v) => {
      const y = fmt(yOf(v));
      return `<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${y}" y2="${y}"/><text class="tick" x="${M.left - 6}" y="${y}" dy="4" text-anchor="end">${tickLabel(v)}</text>`;
    })
    .join('');
}

function axesLines(): string {
  return `<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/><line class="axis" x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/>`;
}

function fmt(n: number): string {
  return n.toFixed(1);
}

/** One row under the title, left to right, so it never runs into the title however long. */
function legend(series: readonly Series[]): string {
  let x = M.left;
  return series
    .map((s) => {
      const item = `<g class="legend"><rect x="${fmt(x)}" y="28" width="12" height="4" fill="${s.color}"/><text class="tick" x="${fmt(x + 16)}" y="34">${escapeHtml(s.name)}</text></g>`;
      x += 28 + s.name.length * 7;
      return item;
    })
    .join('');
}

/** Splits a series at its gaps: runs of consecutive points with a value. */
function segments(points: Series['points']): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [[]];
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) {
      if (out[out.length - 1]!.length) out.push([]);
    } else out[out.length - 1]!.push([x, y]);
  }
  return out.filter((s) => s.length > 0);
}

/** A line chart over x ≥ 0 with a y axis from 0. Lone points (no neighbour) show as dots. */
export function lineChart(text: ChartText, series: readonly Series[]): string {
  const all = series.flatMap((s) => segments(s.points).flat());
  if (all.length === 0) return frame('line empty', text, axesLines() + yAxis([0, 1], (v) => M.top + PH - v * PH) + noData());
  const xTicks = niceTicks(Math.max(...all.map((p) => p[0])), 8);
  const yTicks = niceTicks(Math.max(...all.map((p) => p[1])), 5);
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const xOf = (v: number) => M.left + (v / xMax) * PW;
  const yOf = (v: number) => M.top + PH - (v / yMax) * PH;
  const xAxis = xTicks
    .map((v) => `<line class="axis" x1="${fmt(xOf(v))}" x2="${fmt(xOf(v))}" y1="${M.top + PH}" y2="${M.top + PH + 4}"/><text class="tick" x="${fmt(xOf(v))}" y="${M.top + PH + 16}" text-anchor="middle">${tickLabel(v)}</text>`)
    .join('');
  const lines = series
    .map((s) =>
      segments(s.points)
        .map((seg) =>
          seg.length === 1
            ? `<circle class="point" cx="${fmt(xOf(seg[0]![0]))}" cy="${fmt(yOf(seg[0]![1]))}" r="3" fill="${s.color}"/>`
            : `<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2" points="${seg.map(([x, y]) => `${fmt(xOf(x))},${fmt(yOf(y))}`).join(' ')}"/>`,
        )
        .join(''),
    )
    .join('');
  return frame('line', text, yAxis(yTicks, yOf) + axesLines() + xAxis + lines + legend(series));
}

function noData(): string {
  return `<text class="no-data" x="${M.left + PW / 2}" y="${M.top + PH / 2}" text-anchor="middle">no data</text>`;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Equal-width bars (a histogram's buckets are often exponential, so widths do not follow ms). */
export function barChart(text: ChartText, bars: readonly Bar[], color = '#4e79a7'): string {
  const total = bars.reduce((s, b) => s + b.value, 0);
  if (bars.length === 0 || total === 0) return frame('bars empty', text, axesLines() + yAxis([0, 1], (v) => M.top + PH - v * PH) + noData());
  const yTicks = niceTicks(Math.max(...bars.map((b) => b.value)), 5);
  const yMax = yTicks[yTicks.length - 1]!;
  const yOf = (v: number) => M.top + PH - (v / yMax) * PH;
  const slot = PW / bars.length;
  // Label every k-th bucket so that labels (about 7 px per character) do not overlap.
  const widest = Math.max(...bars.map((b) => b.label.length)) * 7 + 6;
  const every = Math.max(1, Math.ceil(widest / slot));
  const body = bars
    .map((b, i) => {
      const x = M.left + i * slot;
      // A non-empty bucket stays visible however small it is next to the tallest.
      const h = b.value > 0 ? Math.max(1, M.top + PH - yOf(b.value)) : 0;
      const bar = `<rect class="bar" x="${fmt(x + slot * 0.1)}" y="${fmt(M.top + PH - h)}" width="${fmt(slot * 0.8)}" height="${fmt(h)}" fill="${color}"><title>${escapeHtml(`${b.label}: ${b.value}`)}</title></rect>`;
      const label = i % every === 0 ? `<text class="tick" x="${fmt(x + slot / 2)}" y="${M.top + PH + 16}" text-anchor="middle">${escapeHtml(b.label)}</text>` : '';
      return bar + label;
    })
    .join('');
  return frame('bars', text, yAxis(yTicks, yOf) + axesLines() + body);
}
